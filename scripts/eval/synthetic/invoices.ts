import type { ContractFacts } from "./contracts";
import { type Client, ofClient, productsFor, VENDOR } from "./entities";
import { addDays, addMonths, brl, brlEn, type Day, dateEn, datePt, MONTHS_EN, MONTHS_PT } from "./format";
import type { Rng } from "./prng";
import type { Ask, SynthDoc } from "./types";

export interface InvoicePlan {
  boletos: number;
  nfse: boolean;
  nfe: boolean;
}

const BANKS = [
  ["341", "Itaú Unibanco"],
  ["237", "Bradesco"],
  ["001", "Banco do Brasil"],
  ["748", "Sicredi"],
] as const;

interface Party {
  cl: Client;
  cnpj: string;
  vendorCnpj: string;
}

/** A bill's amount and what it pays for: a contract installment when the client has one, else a one-off service. */
interface Bill {
  cents: number;
  due: Day;
  issued: Day;
  reference: string;
  referenceEn: string;
  month: number;
}

function bills(rng: Rng, contracts: ContractFacts[], count: number): Bill[] {
  const recurring = contracts.find((c) => c.kind !== "instalacao");
  const out: Bill[] = [];
  const firstMonth = rng.int(3, 8);
  // Consecutive installments, so two bills of one client never fall in the same month.
  const base = recurring ? Math.max(1, Math.min(recurring.installments - count + 1, firstMonth - recurring.start.m + 1)) : 0;
  for (let i = 0; i < count; i++) {
    if (recurring) {
      const installment = base + i;
      const due = addMonths({ ...recurring.start, d: recurring.dueDay }, installment - 1);
      const kindPt = recurring.kind === "locacao" ? "locação" : "manutenção";
      out.push({
        cents: recurring.installmentCents,
        due,
        issued: addDays(due, -10),
        reference:
          `parcela ${installment}/${recurring.installments} do contrato de ${kindPt} nº ${recurring.number}, ` +
          `competência ${MONTHS_PT[due.m - 1]}/${due.y}`,
        referenceEn:
          `installment ${installment} of ${recurring.installments}, agreement No. ${recurring.number}, ` +
          `${MONTHS_EN[due.m - 1]} ${due.y}`,
        month: due.m,
      });
    } else {
      const due: Day = { y: 2025, m: firstMonth + i, d: rng.pick([5, 10, 15, 20, 25]) };
      out.push({
        cents: rng.int(18, 240) * 1000 + rng.pick([0, 0, 500, 900]),
        due,
        issued: addDays(due, -rng.int(7, 20)),
        reference: rng.pick([
          "visita técnica de manutenção corretiva e peças substituídas",
          "serviço avulso de limpeza técnica e regulagem dos equipamentos",
          "troca de peças e mão de obra conforme ordem de serviço",
        ]),
        referenceEn: "corrective maintenance visit and replaced parts",
        month: due.m,
      });
    }
  }
  return out;
}

function boletoText(rng: Rng, p: Party, b: Bill, docNumber: string): string {
  const [code, bank] = rng.pick(BANKS);
  const value10 = String(b.cents).padStart(10, "0");
  const line =
    `${code}9${rng.digits(1)}.${rng.digits(5)} ${rng.digits(5)}.${rng.digits(6)} ${rng.digits(5)}.${rng.digits(6)} ` +
    `${rng.digits(1)} ${rng.digits(4)}${value10}`;
  return [
    `BOLETO BANCÁRIO – ${bank} (${code})`,
    `Beneficiário: ${VENDOR.name} – CNPJ ${p.vendorCnpj}. Pagador: ${p.cl.legalName} (${p.cl.name}) – CNPJ ${p.cnpj}, ` +
      `${p.cl.city}/${p.cl.uf}.`,
    `Número do documento: ${docNumber}. Nosso número: ${rng.digits(3)}/${rng.digits(8)}-${rng.digits(1)}. Data do documento: ` +
      `${datePt(b.issued)}. Vencimento: ${datePt(b.due)}. Valor do documento: ${brl(b.cents)}.`,
    `Referência: ${b.reference}.`,
    "Instruções: após o vencimento cobrar multa de 2% e juros de mora de 1% ao mês (0,033% ao dia). Não receber após 60 dias " +
      "do vencimento. O pagamento também pode ser feito por PIX pelo QR Code impresso neste boleto.",
    `Linha digitável: ${line}`,
  ].join("\n\n");
}

function nfseText(rng: Rng, p: Party, b: Bill, number: string) {
  const rate = rng.pick([2, 3, 5]);
  const iss = Math.round((b.cents * rate) / 100);
  const verification = `${rng.digits(4)}-${rng.pick(["A", "B", "C", "K", "X"])}${rng.digits(3)}`;
  return {
    rate,
    text: [
      `NOTA FISCAL DE SERVIÇOS ELETRÔNICA – NFS-e Nº ${number}`,
      `Prefeitura Municipal de Campinas – Secretaria Municipal de Finanças. Data e hora de emissão: ${datePt(b.issued)} ` +
        `${String(rng.int(8, 17)).padStart(2, "0")}:${String(rng.int(0, 59)).padStart(2, "0")}. Código de verificação: ` +
        `${verification}. Competência: ${MONTHS_PT[b.month - 1]}/${b.due.y}.`,
      `Prestador de serviços: ${VENDOR.name}, CNPJ ${p.vendorCnpj}, ${VENDOR.address}. Tomador de serviços: ${p.cl.legalName}, ` +
        `CNPJ ${p.cnpj}, ${p.cl.city}/${p.cl.uf}.`,
      `Discriminação dos serviços: ${b.reference}.`,
      `Valor dos serviços: ${brl(b.cents)}. Base de cálculo: ${brl(b.cents)}. Alíquota do ISS: ${rate}%. Valor do ISS: ` +
        `${brl(iss)}. Valor líquido da nota: ${brl(b.cents)}. ISS devido ao município de Campinas, não retido pelo tomador.`,
    ].join("\n\n"),
  };
}

function nfeText(rng: Rng, p: Party, number: string, issued: Day) {
  const items = rng.shuffle(productsFor(p.cl)).slice(0, rng.int(1, 3));
  const lines = items.map((prod) => ({ prod, qty: rng.int(1, 4) }));
  const products = lines.reduce((s, l) => s + l.prod.priceCents * l.qty, 0);
  const freight = p.cl.uf === "SP" ? 0 : rng.int(12, 48) * 1000;
  // Layout of the 44 digits: emitter's UF (35, SP), AAMM, CNPJ, model 55, series, number, emission type, code, check digit.
  const month = String(issued.m).padStart(2, "0");
  const key = `3525${month}${p.vendorCnpj.replace(/\D/g, "")}55001${number.padStart(9, "0")}1${rng.digits(9)}`;
  return {
    items: lines,
    total: products + freight,
    text: [
      `NOTA FISCAL ELETRÔNICA – NF-e Nº ${number}, SÉRIE 1`,
      `Natureza da operação: venda de mercadoria. CFOP ${p.cl.uf === "SP" ? "5102" : "6102"}. Data de emissão: ` +
        `${datePt(issued)}. Data de saída: ${datePt(addDays(issued, 1))}. Chave de acesso: ${key}.`,
      `Emitente: ${VENDOR.name}, CNPJ ${p.vendorCnpj}. Destinatário: ${p.cl.legalName}, CNPJ ${p.cnpj}, ${p.cl.city}/${p.cl.uf}.`,
      `Produtos: ${lines
        .map((l) => `${l.qty} un. ${l.prod.namePt}, valor unitário ${brl(l.prod.priceCents)}, total ${brl(l.prod.priceCents * l.qty)}`)
        .join("; ")}.`,
      `Valor total dos produtos: ${brl(products)}. Valor do frete: ${freight ? brl(freight) : "R$ 0,00 (frete por conta do emitente)"}. ` +
        `Valor total da nota: ${brl(products + freight)}. ICMS recolhido conforme regime do Simples Nacional.`,
    ].join("\n\n"),
  };
}

function invoiceEn(rng: Rng, p: Party, b: Bill, number: string) {
  return [
    `INVOICE ${number}`,
    `From: ${VENDOR.name}, CNPJ ${p.vendorCnpj}, ${VENDOR.address}. Bill to: ${p.cl.legalName} (${p.cl.name}), CNPJ ${p.cnpj}, ` +
      `${p.cl.city}, ${p.cl.uf}. Attention: ${p.cl.contact}.`,
    `Issue date: ${dateEn(b.issued)}. Due date: ${dateEn(b.due)}. Payment terms: net ${rng.pick([10, 15])} days.`,
    `Description: ${b.referenceEn}. Amount due: ${brlEn(b.cents)}.`,
    `Please pay by boleto or by PIX to the key ${p.vendorCnpj}. Late payments incur a 2% penalty plus 1% interest per month. ` +
      `Questions about this invoice: WhatsApp ${VENDOR.whatsapp}.`,
  ].join("\n\n");
}

export function buildInvoices(
  rng: Rng,
  p: Party,
  contracts: ContractFacts[],
  plan: InvoicePlan,
  seq: () => number,
): { docs: SynthDoc[]; asks: Ask[] } {
  const { cl } = p;
  const docs: SynthDoc[] = [];
  const asks: Ask[] = [];
  const of = ofClient(cl);
  const ask = (category: string, target: string, phrasings: string[], language: "pt" | "en" = "pt"): Ask => ({
    category,
    language,
    phrasings,
    target,
    related: "client",
  });
  const owed = bills(rng, contracts, plan.boletos + (plan.nfse ? 1 : 0));
  if (cl.language === "en") {
    for (const b of owed.slice(0, Math.max(1, plan.boletos))) {
      const number = `INV-2025-${String(seq()).padStart(4, "0")}`;
      const key = `invoice:${cl.key}:${number}`;
      docs.push({
        key,
        title: `Invoice ${number} – ${cl.name}`,
        text: invoiceEn(rng, p, b, number),
        type: "invoice",
        language: "en",
        client: cl.key,
      });
      const month = plan.boletos > 1 ? ` for ${MONTHS_EN[b.month - 1]}` : "";
      asks.push(
        ask(
          "invoice-due",
          key,
          [`When is the ${cl.name} invoice${month} due?`, `what's the due date on the ${cl.name} invoice${month}?`],
          "en",
        ),
        ask("invoice-value", key, [`How much does ${cl.name} owe on the invoice${month}?`], "en"),
      );
    }
    return { docs, asks };
  }
  for (const b of owed.slice(0, plan.boletos)) {
    const docNumber = `${b.due.y}/${String(seq()).padStart(4, "0")}`;
    const month = MONTHS_PT[b.month - 1]!;
    const key = `invoice:${cl.key}:boleto-${b.month}`;
    docs.push({
      key,
      title: `Boleto ${cl.name} – vencimento ${datePt(b.due)}`,
      text: boletoText(rng, p, b, docNumber),
      type: "invoice",
      language: "pt",
      client: cl.key,
    });
    const spec = plan.boletos > 1 ? ` de ${month}` : "";
    asks.push(
      ask("boleto-due", key, [
        `quando vence o boleto${spec} ${of}?`,
        `qual a data de vencimento do boleto${spec} ${of}?`,
        `${cl.article} ${cl.name} tem até que dia pra pagar o boleto${spec}?`,
      ]),
      ask("boleto-value", key, [`qual o valor do boleto${spec} ${of}?`, `quanto ${cl.article} ${cl.name} tem que pagar no boleto${spec}?`]),
      ask("boleto-line", key, [`me manda a linha digitável do boleto${spec} ${of}`, `qual o código de barras do boleto${spec} ${of}?`]),
      { ...ask("by-amount", key, [`de quem é o boleto de ${brl(b.cents)} que vence em ${datePt(b.due)}?`]), unique: brl(b.cents) },
    );
    if (plan.boletos === 1) {
      asks.push(ask("by-cnpj", key, [`tem boleto em aberto pro CNPJ ${p.cnpj}?`, `qual o vencimento do boleto do CNPJ ${p.cnpj}?`]));
    }
  }
  if (plan.nfse) {
    const b = owed.at(-1)!;
    const number = String(2000 + seq());
    const key = `invoice:${cl.key}:nfse`;
    const { text } = nfseText(rng, p, b, number);
    docs.push({ key, title: `NFS-e nº ${number} – ${cl.name}`, text, type: "invoice", language: "pt", client: cl.key });
    asks.push(
      ask("nfse", key, [
        `qual o número da nota fiscal de serviço ${of}?`,
        `quanto deu de ISS na nota de serviço ${of}?`,
        `qual o código de verificação da NFS-e ${of}?`,
      ]),
      {
        ...ask("by-number", key, [`qual serviço foi cobrado na NFS-e ${number}?`, `quem é o tomador da nota de serviço nº ${number}?`]),
        unique: number,
      },
    );
  }
  if (plan.nfe) {
    const number = String(4000 + seq());
    const issued: Day = { y: 2025, m: rng.int(1, 10), d: rng.int(1, 28) };
    const key = `invoice:${cl.key}:nfe`;
    const { text } = nfeText(rng, p, number, issued);
    docs.push({ key, title: `NF-e nº ${number} – ${cl.name}`, text, type: "invoice", language: "pt", client: cl.key });
    asks.push(
      ask("nfe", key, [
        `qual o valor total da nota fiscal de venda ${of}?`,
        `quanto deu a nota dos equipamentos que vendemos ${cl.article === "a" ? "pra" : "pro"} ${cl.name}?`,
        `quando foi emitida a nota fiscal de venda ${of}?`,
        `qual a chave de acesso da NF-e ${of}?`,
      ]),
      {
        ...ask("by-number", key, [`o que foi vendido na nota fiscal ${number}?`, `a NF-e ${number} foi pra qual cliente?`]),
        unique: number,
      },
    );
  }
  return { docs, asks };
}
