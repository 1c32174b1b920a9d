import { type Client, forClient, ofClient, productsFor, SELLERS, VENDOR } from "./entities";
import { addDays, brl, brlEn, type Day, dateEn, datePt, longDatePt, numberWords } from "./format";
import type { Rng } from "./prng";
import type { Product } from "./products";
import type { Ask, SynthDoc } from "./types";

const PURPOSES = [
  "a montagem da nova unidade",
  "a reforma da cozinha",
  "a troca dos equipamentos antigos",
  "a ampliação do balcão de atendimento",
  "a abertura da segunda loja",
];
const DISCOUNT_REASONS = ["por fidelidade", "para fechamento nesta semana", "sobre o pacote completo"];
const PAYMENT = [
  "à vista por PIX ou em 3 (três) parcelas sem juros no cartão de crédito",
  "boleto bancário em 28, 56 e 84 dias",
  "50% na aprovação e 50% na entrega, por PIX ou boleto",
  "em até 10 (dez) vezes no cartão de crédito, sem juros",
];
const FREIGHT = [
  "frete CIF, por conta da Vértice",
  "frete FOB, por conta do cliente, com retirada em Campinas",
  "frete incluso para entrega no endereço do cliente",
];

interface Quote {
  number: string;
  main: Product;
  lines: { product: Product; qty: number }[];
  subtotal: number;
  discountPct: number;
  total: number;
  deliveryDays: number;
  validDays: number;
  date: Day;
  seller: string;
}

function quote(rng: Rng, main: Product, others: Product[], seq: number): Quote {
  const extra = rng.shuffle(others).slice(0, rng.int(0, 2));
  const lines = [main, ...extra].map((product) => ({ product, qty: rng.int(1, 4) }));
  const subtotal = lines.reduce((s, l) => s + l.product.priceCents * l.qty, 0);
  const discountPct = rng.pick([0, 3, 5, 5, 7, 10, 12]);
  return {
    number: `ORC-2025-${String(seq).padStart(3, "0")}`,
    main,
    lines,
    subtotal,
    discountPct,
    total: subtotal - Math.round((subtotal * discountPct) / 100),
    deliveryDays: rng.pick([5, 7, 10, 15, 20, 30]),
    validDays: rng.pick([7, 10, 15, 15, 30]),
    date: { y: 2025, m: rng.int(1, 10), d: rng.int(1, 28) },
    seller: rng.pick(SELLERS),
  };
}

function textPt(rng: Rng, cl: Client, q: Quote): string {
  const first = cl.contact.replace(/^Dra?\. /, "").split(" ")[0];
  const items = q.lines
    .map(
      (l, i) =>
        `${i + 1}) ${l.qty} × ${l.product.namePt}: valor unitário ${brl(l.product.priceCents)}, ` +
        `subtotal ${brl(l.product.priceCents * l.qty)}`,
    )
    .join("; ");
  const discount = q.discountPct
    ? `Desconto de ${q.discountPct}% (${numberWords(q.discountPct)} por cento) ${rng.pick(DISCOUNT_REASONS)}: ` +
      `${brl(q.subtotal - q.total)}. `
    : "Esta proposta não tem desconto: os preços já são os da tabela promocional vigente. ";
  return [
    `PROPOSTA COMERCIAL – ORÇAMENTO Nº ${q.number}`,
    `Campinas, ${longDatePt(q.date)}. A/C ${cl.contact} – ${cl.name} (${cl.city}/${cl.uf}).`,
    `Prezado(a) ${first}, conforme conversamos pelo WhatsApp, apresentamos nossa proposta para ${rng.pick(PURPOSES)}. ` +
      `Itens: ${items}.`,
    `Subtotal: ${brl(q.subtotal)}. ${discount}Valor total da proposta: ${brl(q.total)}.`,
    `Condições de pagamento: ${rng.pick(PAYMENT)}. Prazo de entrega: ${q.deliveryDays} dias úteis após a confirmação do pedido, ` +
      `com ${rng.pick(FREIGHT)}. Validade desta proposta: ${q.validDays} dias, até ${datePt(addDays(q.date, q.validDays))}. ` +
      "Garantia dos equipamentos conforme o manual de cada fabricante.",
    `Ficamos à disposição pelo WhatsApp ${VENDOR.whatsapp}. Atenciosamente, ${q.seller}, consultor(a) comercial da ${VENDOR.brand}.`,
  ].join("\n\n");
}

function textEn(cl: Client, q: Quote): string {
  const items = q.lines
    .map(
      (l, i) =>
        `${i + 1}) ${l.qty} × ${l.product.nameEn}, unit price ${brlEn(l.product.priceCents)}, ` +
        `line total ${brlEn(l.product.priceCents * l.qty)}`,
    )
    .join("; ");
  return [
    `QUOTATION ${q.number}`,
    `Campinas, ${dateEn(q.date)}. To: ${cl.contact}, ${cl.name} (${cl.city}, ${cl.uf}).`,
    `Dear ${cl.contact.split(" ")[0]}, following our WhatsApp conversation, please find our quotation below. Items: ${items}.`,
    `Subtotal: ${brlEn(q.subtotal)}. ` +
      (q.discountPct ? `Discount (${q.discountPct}%): ${brlEn(q.subtotal - q.total)}. ` : "No discount applies. ") +
      `Total: ${brlEn(q.total)}.`,
    `Delivery: ${q.deliveryDays} business days after order confirmation. This quotation is valid for ${q.validDays} days, ` +
      `until ${dateEn(addDays(q.date, q.validDays))}. Payment: 50% on order, 50% on delivery.`,
    `Best regards, ${q.seller}, ${VENDOR.brand} sales team, WhatsApp ${VENDOR.whatsapp}.`,
  ].join("\n\n");
}

export function buildProposals(rng: Rng, cl: Client, count: number, seq: () => number): { docs: SynthDoc[]; asks: Ask[] } {
  const pool = productsFor(cl);
  const mains = rng.shuffle(pool).slice(0, count);
  const docs: SynthDoc[] = [];
  const asks: Ask[] = [];
  for (const main of mains) {
    // Extras never include another quote's main item, so "o orçamento do forno F45" names one quote.
    const q = quote(
      rng,
      main,
      pool.filter((p) => !mains.includes(p)),
      seq(),
    );
    const key = `proposal:${cl.key}:${main.key}`;
    if (cl.language === "en") {
      docs.push({
        key,
        title: `Quotation ${q.number} – ${cl.name}`,
        text: textEn(cl, q),
        type: "proposal",
        language: "en",
        client: cl.key,
      });
      const ask = (category: string, phrasings: string[]): Ask => ({ category, language: "en", phrasings, target: key, related: "client" });
      asks.push(
        ask("proposal-total", [`How much was the quote we sent ${cl.name}?`, `what's the total of the ${cl.name} quotation?`]),
        ask("proposal-discount", [`what discount did we give ${cl.name} on the quotation?`]),
        ask("proposal-delivery", [`how long is delivery on the ${cl.name} quote?`]),
      );
      continue;
    }
    docs.push({
      key,
      title: `Proposta Comercial ${q.number} – ${cl.name}`,
      text: textPt(rng, cl, q),
      type: "proposal",
      language: "pt",
      client: cl.key,
    });
    // A client with two quotes is asked about "o orçamento do forno F45", as people tell them apart.
    const spec = count > 1 ? ` ${main.genderPt === "a" ? "da" : "do"} ${main.shortPt}` : "";
    const of = ofClient(cl);
    const ask = (category: string, phrasings: string[]): Ask => ({ category, language: "pt", phrasings, target: key, related: "client" });
    asks.push(
      ask("proposal-total", [
        `quanto ficou a proposta${spec} ${forClient(cl)}?`,
        `qual o valor total do orçamento${spec} ${of}?`,
        `quanto deu o orçamento${spec} que mandamos ${forClient(cl)}?`,
      ]),
      ask("proposal-delivery", [
        `qual o prazo de entrega do orçamento${spec} ${of}?`,
        `em quantos dias vocês entregam o pedido${spec} ${of}?`,
      ]),
      ask("proposal-discount", [`teve desconto no orçamento${spec} ${of}?`, `qual foi o desconto da proposta${spec} ${of}?`]),
      ask("proposal-validity", [
        `a proposta${spec} ${of} vale até quando?`,
        `até que dia ${cl.article} ${cl.name} pode aceitar o orçamento${spec}?`,
      ]),
      ask("proposal-payment", [`como ${cl.article} ${cl.name} pode pagar o orçamento${spec}? dá pra parcelar?`]),
      ask("by-contact", [`${cl.contact} pediu o total do orçamento${spec} que mandamos`]),
      { ...ask("by-number", [`o orçamento ${q.number} ainda está válido?`, `qual o prazo de entrega do ${q.number}?`]), unique: q.number },
    );
  }
  return { docs, asks };
}
