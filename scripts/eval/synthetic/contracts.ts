import { type Client, forClient, ofClient, productsFor, VENDOR } from "./entities";
import { addDays, addMonths, brl, brlEn, brlFull, type Day, dateEn, datePt, longDatePt, numberWords, numberWordsFem } from "./format";
import type { Rng } from "./prng";
import type { Product } from "./products";
import type { Ask, SynthDoc } from "./types";

export type ContractKind = "manutencao" | "locacao" | "instalacao";

export interface ContractFacts {
  key: string;
  kind: ContractKind;
  number: string;
  totalCents: number;
  /** Installment amount; installation contracts are paid in two halves. */
  installmentCents: number;
  installments: number;
  start: Day;
  months: number;
  dueDay: number;
}

export interface ContractPin {
  totalCents: number;
  installments: number;
  months: number;
}

const KIND_PT: Record<ContractKind, string> = { manutencao: "manutenção", locacao: "locação", instalacao: "instalação" };

interface Terms {
  products: { product: Product; qty: number }[];
  facts: ContractFacts;
  end: Day;
  finePct: number;
  noticeDays: number;
  index: "IPCA" | "IGP-M";
  forum: string;
  slaHours: number;
  visits: number;
  signed: Day;
  partsCapCents: number;
}

function terms(rng: Rng, cl: Client, kind: ContractKind, seq: number, pin?: ContractPin): Terms {
  const pool = rng.shuffle(productsFor(cl));
  const products = pool.slice(0, rng.int(1, 3)).map((product) => ({ product, qty: rng.int(1, 3) }));
  const start: Day = { y: 2025, m: rng.int(1, 9), d: rng.pick([1, 1, 5, 10, 15, 20]) };
  const months = pin?.months ?? (kind === "instalacao" ? 3 : rng.pick(kind === "locacao" ? [12, 24, 36] : [6, 12, 12, 24]));
  let installments = pin?.installments ?? months;
  let total: number;
  if (pin) total = pin.totalCents;
  else if (kind === "instalacao") {
    installments = 2;
    total = rng.int(24, 196) * 5000;
  } else {
    const equipment = products.reduce((s, p) => s + p.product.priceCents * p.qty, 0);
    // Rent is ~4% of the equipment's price a month; maintenance a flat fee by size of the park.
    const monthly = kind === "locacao" ? Math.max(15_000, Math.round((equipment * 0.04) / 1000) * 1000) : rng.int(28, 160) * 1000;
    total = monthly * months;
  }
  const number = `${String(seq).padStart(3, "0")}/2025`;
  const dueDay = rng.pick([5, 10, 15, 20]);
  const installmentCents = Math.round(total / installments);
  return {
    products,
    facts: { key: "", kind, number, totalCents: total, installmentCents, installments, start, months, dueDay },
    end: addDays(addMonths(start, months), -1),
    finePct: rng.pick([10, 15, 20, 20, 30]),
    noticeDays: rng.pick([30, 30, 60]),
    index: rng.pick(["IPCA", "IGP-M"] as const),
    forum: rng.chance(0.5) ? cl.city : "Campinas",
    slaHours: rng.pick([24, 48, 72]),
    visits: rng.pick([1, 1, 2]),
    signed: addDays(start, -rng.int(3, 12)),
    partsCapCents: rng.int(4, 15) * 10000,
  };
}

const lowerFirst = (s: string) => s[0]!.toLowerCase() + s.slice(1);
const listPt = (items: string[]) => (items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} e ${items.at(-1)}`);
const listEn = (items: string[]) => (items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`);
const units = (n: number) => `${n} (${numberWordsFem(n)}) ${n === 1 ? "unidade" : "unidades"}`;
const qtyPt = (t: Terms) => listPt(t.products.map(({ product, qty }) => `${units(qty)} de ${product.namePt}`));
const qtyEn = (t: Terms) => listEn(t.products.map(({ product, qty }) => `${qty} × ${product.nameEn}`));

function partiesPt(cl: Client, cnpj: string, vendorCnpj: string) {
  return (
    `CONTRATANTE: ${cl.legalName} (${cl.name}), pessoa jurídica de direito privado inscrita no CNPJ sob o nº ${cnpj}, ` +
    `com sede em ${cl.city}/${cl.uf}, neste ato representada por ${cl.contact}. CONTRATADA: ${VENDOR.name}, inscrita no CNPJ ` +
    `sob o nº ${vendorCnpj}, com sede na ${VENDOR.address}, neste ato representada por ${VENDOR.signer}. As partes acima ` +
    "identificadas têm entre si justo e contratado o presente instrumento, que se regerá pelas cláusulas e condições seguintes."
  );
}

function paymentPt(t: Terms) {
  const f = t.facts;
  if (f.kind === "instalacao") {
    return (
      `CLÁUSULA SEGUNDA – DO VALOR E DA FORMA DE PAGAMENTO. Pela execução dos serviços a CONTRATANTE pagará à CONTRATADA o valor ` +
      `total de ${brlFull(f.totalCents)}, sendo 50% (cinquenta por cento) na assinatura deste contrato e 50% (cinquenta por cento) ` +
      "na conclusão da instalação, mediante boleto bancário ou PIX. Materiais elétricos e hidráulicos além dos previstos no laudo de " +
      "visita técnica serão orçados à parte e só serão utilizados após aprovação por escrito da CONTRATANTE."
    );
  }
  const what = f.kind === "locacao" ? "Pela locação dos equipamentos" : "Pelos serviços contratados";
  return (
    `CLÁUSULA SEGUNDA – DO VALOR E DA FORMA DE PAGAMENTO. ${what}, a CONTRATANTE pagará à CONTRATADA o valor total de ` +
    `${brlFull(f.totalCents)}, em ${f.installments} (${numberWords(f.installments)}) parcelas mensais e sucessivas de ` +
    `${brlFull(f.installmentCents)}, com vencimento todo dia ${f.dueDay}, por boleto bancário ou PIX. O atraso no pagamento ` +
    "sujeitará a CONTRATANTE a multa de 2% (dois por cento) e juros de mora de 1% (um por cento) ao mês sobre a parcela em atraso."
  );
}

function objectPt(t: Terms) {
  switch (t.facts.kind) {
    case "manutencao":
      return (
        "CLÁUSULA PRIMEIRA – DO OBJETO. O presente contrato tem por objeto a prestação de serviços de manutenção preventiva e " +
        `corretiva dos seguintes equipamentos instalados no estabelecimento da CONTRATANTE: ${qtyPt(t)}. A manutenção preventiva ` +
        `compreende ${t.visits} (${numberWordsFem(t.visits)}) ${t.visits === 1 ? "visita técnica" : "visitas técnicas"} por mês, ` +
        "com limpeza, lubrificação, aferição e " +
        `troca de peças de desgaste; os chamados de manutenção corretiva serão atendidos em até ${t.slaHours} horas úteis após a ` +
        `abertura pelo WhatsApp ${VENDOR.whatsapp}.`
      );
    case "locacao":
      return (
        "CLÁUSULA PRIMEIRA – DO OBJETO. O presente contrato tem por objeto a locação dos seguintes equipamentos, de propriedade " +
        `da CONTRATADA: ${qtyPt(t)}, entregues instalados e em perfeito estado de funcionamento, conforme termo de vistoria ` +
        "assinado na entrega. A manutenção preventiva e corretiva dos equipamentos locados está incluída no valor do aluguel, " +
        `com atendimento em até ${t.slaHours} horas úteis.`
      );
    case "instalacao":
      return (
        "CLÁUSULA PRIMEIRA – DO OBJETO. O presente contrato tem por objeto a instalação, pela CONTRATADA, dos seguintes " +
        `equipamentos adquiridos pela CONTRATANTE: ${qtyPt(t)}, incluindo a adequação dos pontos elétricos e hidráulicos, o ` +
        "nivelamento, os testes de funcionamento e o treinamento de até três funcionários indicados pela CONTRATANTE."
      );
  }
}

function contractPt(cl: Client, cnpj: string, vendorCnpj: string, t: Terms): string {
  const f = t.facts;
  const title =
    f.kind === "manutencao"
      ? "CONTRATO DE PRESTAÇÃO DE SERVIÇOS DE MANUTENÇÃO PREVENTIVA E CORRETIVA"
      : f.kind === "locacao"
        ? "CONTRATO DE LOCAÇÃO DE EQUIPAMENTOS"
        : "CONTRATO DE PRESTAÇÃO DE SERVIÇOS DE INSTALAÇÃO DE EQUIPAMENTOS";
  const term =
    f.kind === "instalacao"
      ? `CLÁUSULA TERCEIRA – DO PRAZO. A instalação será iniciada em ${datePt(f.start)} e concluída em até 20 (vinte) dias ` +
        `úteis. Este contrato vigorará até ${datePt(t.end)}, abrangendo a garantia de 90 (noventa) dias sobre os serviços executados.`
      : `CLÁUSULA TERCEIRA – DA VIGÊNCIA. Este contrato vigorará pelo prazo de ${f.months} (${numberWords(f.months)}) meses, com ` +
        `início em ${datePt(f.start)} e término em ${datePt(t.end)}, podendo ser renovado por igual período mediante termo aditivo.`;
  const adjust =
    f.kind === "instalacao"
      ? "CLÁUSULA QUARTA – DO ATRASO. O atraso na conclusão da instalação por culpa da CONTRATADA implicará multa de 0,5% (meio " +
        "por cento) do valor total por dia útil, limitada a 10% (dez por cento)."
      : `CLÁUSULA QUARTA – DO REAJUSTE. Em caso de renovação, os valores serão reajustados pela variação acumulada do ${t.index} ` +
        "nos doze meses anteriores ou, na sua falta, pelo índice oficial que o substituir.";
  const duties =
    "CLÁUSULA QUINTA – DAS OBRIGAÇÕES. A CONTRATANTE se obriga a permitir o acesso dos técnicos em horário comercial, a usar os " +
    "equipamentos conforme os manuais do fabricante e a não permitir a intervenção de terceiros, sob pena de perda da cobertura. " +
    "A CONTRATADA se obriga a manter técnicos treinados, a emitir relatório de cada atendimento e a responder pelos danos que " +
    "seus empregados causarem ao estabelecimento." +
    (f.kind === "locacao"
      ? " Ao término da locação os equipamentos serão devolvidos no estado em que foram recebidos, ressalvado o desgaste natural."
      : "");
  const end =
    `CLÁUSULA SEXTA – DA RESCISÃO E DA MULTA. Qualquer das partes poderá rescindir este contrato mediante aviso prévio de ` +
    `${t.noticeDays} (${numberWords(t.noticeDays)}) dias, por escrito. Se a rescisão imotivada partir da CONTRATANTE antes do ` +
    `término da vigência, será devida multa rescisória de ${t.finePct}% (${numberWords(t.finePct)} por cento) sobre o valor ` +
    "das parcelas vincendas.";
  const forum =
    `CLÁUSULA SÉTIMA – DO FORO. Fica eleito o foro da Comarca de ${t.forum}/${t.forum === "Campinas" ? "SP" : cl.uf} para ` +
    "dirimir quaisquer dúvidas oriundas deste contrato, com renúncia expressa a qualquer outro, por mais privilegiado que seja.";
  const sign =
    `E, por estarem assim justas e contratadas, as partes assinam o presente em duas vias de igual teor. Campinas, ` +
    `${longDatePt(t.signed)}. ${cl.contact}, pela CONTRATANTE. ${VENDOR.signer}, pela CONTRATADA.`;
  // The checklist repeats each manual's cleaning steps: a contract is a plausible wrong answer to "como limpar…".
  const annex =
    f.kind === "manutencao"
      ? "ANEXO I – ROTEIRO DA VISITA PREVENTIVA. Em cada visita o técnico executa, por equipamento: " +
        t.products
          .map(
            ({ product }) => `${product.namePt}: ${lowerFirst(product.cleaningPt)}; verificação das peças de desgaste (${product.wearPt})`,
          )
          .join(". ") +
        `. Peças de desgaste trocadas na visita preventiva estão incluídas no valor mensal até ${brl(t.partsCapCents)} por ano; ` +
        "acima desse limite serão orçadas à parte e trocadas somente após aprovação da CONTRATANTE."
      : undefined;
  return [
    `${title} Nº ${f.number}`,
    partiesPt(cl, cnpj, vendorCnpj),
    objectPt(t),
    paymentPt(t),
    term,
    adjust,
    duties,
    end,
    forum,
    sign,
    ...(annex ? [annex] : []),
  ].join("\n\n");
}

function contractEn(cl: Client, cnpj: string, vendorCnpj: string, t: Terms): string {
  const f = t.facts;
  const lease = f.kind === "locacao";
  return [
    `${lease ? "EQUIPMENT LEASE AGREEMENT" : "EQUIPMENT MAINTENANCE SERVICE AGREEMENT"} No. ${f.number}`,
    `This agreement is made between ${cl.legalName} ("${cl.name}", the Customer), CNPJ ${cnpj}, with offices in ${cl.city}, ` +
      `${cl.uf}, Brazil, represented by ${cl.contact}, and ${VENDOR.name} (the Provider), CNPJ ${vendorCnpj}, ${VENDOR.address}.`,
    lease
      ? `1. Scope. The Provider leases to the Customer the following equipment: ${qtyEn(t)}, delivered installed and in working ` +
        `order. Preventive and corrective maintenance is included in the rent, with service calls answered within ${t.slaHours} ` +
        "business hours."
      : `1. Scope. The Provider will perform preventive and corrective maintenance on the following equipment at the Customer's ` +
        `premises: ${qtyEn(t)}. Preventive maintenance includes ${t.visits} ${t.visits === 1 ? "visit" : "visits"} per month; ` +
        "corrective service calls opened " +
        `on WhatsApp ${VENDOR.whatsapp} are answered within ${t.slaHours} business hours.`,
    `2. Fees. The total contract value is ${brlEn(f.totalCents)}, payable in ${f.installments} monthly installments of ` +
      `${brlEn(f.installmentCents)} due on day ${f.dueDay} of each month, by bank slip (boleto) or PIX. Late payments bear a 2% ` +
      "penalty plus 1% interest per month.",
    `3. Term. This agreement runs for ${f.months} months, from ${dateEn(f.start)} to ${dateEn(t.end)}, and may be renewed for ` +
      `the same period by written amendment. On renewal, fees are adjusted by the ${t.index} index for the previous twelve months.`,
    `4. Termination. Either party may terminate this agreement with ${t.noticeDays} days' written notice. If the Customer ` +
      `terminates without cause before the end of the term, it shall pay a termination fee of ${t.finePct}% of the remaining ` +
      "installments.",
    `5. Governing law and jurisdiction. This agreement is governed by the laws of Brazil, and the courts of ${t.forum}, ` +
      `${t.forum === "Campinas" ? "SP" : cl.uf}, shall have exclusive jurisdiction over any dispute arising from it.`,
    `Signed in Campinas on ${dateEn(t.signed)}. ${cl.contact}, for the Customer. ${VENDOR.signer}, for the Provider.`,
  ].join("\n\n");
}

/** One client's contracts; `multi` says whether its questions must name the kind to be unambiguous. */
export function buildContracts(
  rng: Rng,
  cl: Client,
  cnpj: string,
  vendorCnpj: string,
  kinds: ContractKind[],
  seq: () => number,
  pin?: ContractPin,
): { docs: SynthDoc[]; asks: Ask[]; facts: ContractFacts[] } {
  const docs: SynthDoc[] = [];
  const asks: Ask[] = [];
  const facts: ContractFacts[] = [];
  for (const kind of kinds) {
    const t = terms(rng, cl, kind, seq(), kind === "manutencao" ? pin : undefined);
    const key = `contract:${cl.key}:${kind}`;
    t.facts.key = key;
    facts.push(t.facts);
    if (cl.language === "en") {
      const lease = kind === "locacao";
      docs.push({
        key,
        title: `${lease ? "Equipment Lease Agreement" : "Maintenance Service Agreement"} – ${cl.name}`,
        text: contractEn(cl, cnpj, vendorCnpj, t),
        type: "contract",
        language: "en",
        client: cl.key,
      });
      asks.push(...asksEn(cl, key, lease ? "lease" : "service agreement"));
      continue;
    }
    const title =
      kind === "manutencao"
        ? `Contrato de Manutenção Preventiva e Corretiva – ${cl.name}`
        : kind === "locacao"
          ? `Contrato de Locação de Equipamentos – ${cl.name}`
          : `Contrato de Instalação de Equipamentos – ${cl.name}`;
    docs.push({ key, title, text: contractPt(cl, cnpj, vendorCnpj, t), type: "contract", language: "pt", client: cl.key });
    asks.push(...asksPt(cl, key, kind, kinds.length > 1, t));
  }
  return { docs, asks, facts };
}

function asksPt(cl: Client, key: string, kind: ContractKind, multi: boolean, t: Terms): Ask[] {
  const spec = multi ? ` de ${KIND_PT[kind]}` : "";
  const of = ofClient(cl);
  const ask = (category: string, phrasings: string[]): Ask => ({ category, language: "pt", phrasings, target: key, related: "client" });
  const out = [
    ask("contract-value", [
      `Qual o valor do contrato${spec} que enviamos ${forClient(cl)}?`,
      `quanto custa o contrato de ${KIND_PT[kind]} ${of}?`,
      `qual o valor total do contrato${spec} ${of}?`,
      `quanto ficou fechado o contrato${spec} com ${cl.article} ${cl.name}?`,
    ]),
    ask("contract-term", [
      `até quando vale o contrato${spec} ${of}?`,
      `quando termina o contrato${spec} com ${cl.article} ${cl.name}?`,
      `o contrato${spec} ${of} vence quando?`,
    ]),
    ask("contract-fine", [
      `se ${cl.article} ${cl.name} cancelar o contrato${spec} antes do prazo, paga quanto de multa?`,
      `qual a multa rescisória do contrato${spec} ${of}?`,
      `quantos dias de aviso prévio pra cancelar o contrato${spec} ${of}?`,
    ]),
    ask("contract-forum", [`qual o foro do contrato${spec} ${of}?`, `em que comarca seria resolvida uma briga no contrato${spec} ${of}?`]),
  ];
  if (kind !== "instalacao") {
    out.push(
      ask("contract-installment", [
        `quanto ${cl.article} ${cl.name} paga por mês de ${KIND_PT[kind]}?`,
        `qual o valor da parcela mensal do contrato${spec} ${of}?`,
      ]),
      ask("contract-index", [`o contrato${spec} ${of} é reajustado por qual índice?`, `qual índice corrige o contrato${spec} ${of}?`]),
    );
  }
  if (kind === "locacao") {
    out.push(ask("contract-object", [`quais equipamentos estão alugados ${forClient(cl)}?`]));
  }
  // Customers name themselves, not their company; staff quote the contract's number.
  out.push(
    ask("by-contact", [
      `${cl.contact} quer saber até quando vai o contrato${spec} da empresa`,
      `qual o valor do contrato${spec} assinado por ${cl.contact}?`,
    ]),
    {
      ...ask("by-number", [`qual a multa de cancelamento do contrato nº ${t.facts.number}?`, `o contrato ${t.facts.number} vence quando?`]),
      unique: t.facts.number,
    },
  );
  if (t.products.length > 1 && kind === "manutencao") {
    out.push(ask("contract-object", [`quais máquinas entram na manutenção ${of}?`]));
  }
  return out;
}

const possessive = (name: string) => (name.endsWith("s") ? `${name}'` : `${name}'s`);

function asksEn(cl: Client, key: string, what: string): Ask[] {
  const ask = (category: string, phrasings: string[]): Ask => ({ category, language: "en", phrasings, target: key, related: "client" });
  return [
    ask("contract-value", [`What is the total value of the ${what} with ${cl.name}?`, `how much is ${possessive(cl.name)} ${what} worth?`]),
    ask("contract-term", [`When does the ${cl.name} ${what} end?`, `how long is the ${what} with ${cl.name}?`]),
    ask("contract-fine", [`what's the termination fee if ${cl.name} cancels the ${what}?`]),
    ask("contract-installment", [`how much does ${cl.name} pay per month?`]),
  ];
}
