import { VENDOR } from "./entities";
import { numberWords } from "./format";
import { PRODUCTS, type Product } from "./products";
import type { Ask, SynthDoc } from "./types";

/** Products whose manufacturer also ships an English manual (imported lines, foreign customers). */
const ENGLISH = new Set(["x200", "x300", "barista", "tp80", "fh400", "sv30"]);

const art = (p: Product) => p.genderPt;
const of = (p: Product) => (p.genderPt === "a" ? "da" : "do");
const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

function manualPt(p: Product): string {
  const legal = 3;
  const extra = p.warrantyMonths - legal;
  return [
    `MANUAL DE INSTRUÇÕES – ${p.namePt.toUpperCase()}`,
    `Parabéns pela compra ${of(p)} ${p.namePt}, distribuíd${art(p)} no Brasil pela ${VENDOR.brand} Equipamentos Comerciais. ` +
      "Leia este manual antes de " +
      `instalar e guarde-o com a nota fiscal, que é o comprovante da garantia. Características: ${p.specsPt}.`,
    `INSTALAÇÃO. ${p.installPt}. Antes de ligar, retire as fitas e os calços de transporte e confira se o cabo de força não está ` +
      "dobrado ou preso sob o aparelho. Não use adaptadores, extensões nem benjamins.",
    `USO E LIMPEZA. ${p.cleaningPt}. Desligue o aparelho da tomada antes de qualquer limpeza e não use jato de água, solventes ` +
      "ou produtos abrasivos.",
    `SOLUÇÃO DE PROBLEMAS. Se ${art(p)} ${p.shortPt} não ligar, confira a tomada e o disjuntor do circuito. Ruído ou vibração ` +
      "fora do normal indicam aparelho desnivelado ou peça solta: desligue e chame a assistência técnica. Nunca abra a carcaça; " +
      "a intervenção de pessoas não autorizadas anula a garantia.",
    `GARANTIA. ${cap(art(p))} ${p.namePt} tem garantia de ${p.warrantyMonths} (${numberWords(p.warrantyMonths)}) meses contados ` +
      `da data de emissão da nota fiscal de compra, sendo ${legal} meses de garantia legal e ${extra} meses de garantia contratual, ` +
      `contra defeitos de fabricação, incluindo peças e mão de obra. A garantia não cobre ${p.wearPt}, nem danos causados por ` +
      "queda, transporte inadequado, ligação em tensão errada, falta de limpeza ou uso em desacordo com este manual.",
    `ASSISTÊNCIA TÉCNICA. Para acionar a garantia, envie pelo WhatsApp ${VENDOR.whatsapp} a foto da nota fiscal, o número de ` +
      "série (na etiqueta prateada do aparelho) e um vídeo curto mostrando o defeito. O reparo em garantia é feito em até 30 dias, " +
      "na oficina da Vértice em Campinas ou no local, para equipamentos instalados pela Vértice.",
  ].join("\n\n");
}

function manualEn(p: Product): string {
  return [
    `USER MANUAL – ${p.nameEn.toUpperCase()}`,
    `Thank you for buying the ${p.nameEn}, distributed in Brazil by ${VENDOR.brand} Equipamentos Comerciais. ` +
      "Read this manual before installation and " +
      `keep it with your invoice, which is your proof of warranty. Features: ${p.specsEn}.`,
    `INSTALLATION. ${p.installEn}. Before switching it on, remove all transport tape and packing blocks and make sure the power ` +
      "cord is not bent or trapped under the unit. Do not use adapters or extension cords.",
    `USE AND CLEANING. ${p.cleaningEn}. Always unplug the unit before cleaning; never use a water jet, solvents or abrasives.`,
    `TROUBLESHOOTING. If the ${p.shortEn} does not turn on, check the outlet and the circuit breaker. Unusual noise or vibration ` +
      "means the unit is not level or a part is loose: switch it off and call service. Never open the housing; repairs by " +
      "unauthorised people void the warranty.",
    `WARRANTY. The ${p.nameEn} is covered for ${p.warrantyMonths} months from the invoice date against manufacturing defects, ` +
      `parts and labour included. The warranty does not cover the ${p.wearEn}, nor damage from drops, improper transport, wrong ` +
      "voltage, lack of cleaning or use contrary to this manual.",
    `SERVICE. To make a warranty claim, send a photo of the invoice, the serial number (on the silver label) and a short video ` +
      `of the fault to WhatsApp ${VENDOR.whatsapp}. Warranty repairs are completed within 30 days.`,
  ].join("\n\n");
}

export function buildManuals(): { docs: SynthDoc[]; asks: Ask[] } {
  const docs: SynthDoc[] = [];
  const asks: Ask[] = [];
  for (const p of PRODUCTS) {
    const pt = `manual:${p.key}:pt`;
    const en = ENGLISH.has(p.key) ? `manual:${p.key}:en` : undefined;
    docs.push({ key: pt, title: `Manual de Instruções – ${p.namePt}`, text: manualPt(p), type: "manual", language: "pt", product: p.key });
    const sibling = (k: string | undefined) => (k ? [k] : []);
    const warrantyRelated = (self: string | undefined) => [...sibling(self), "policy:garantia:pt", "policy:garantia:en"];
    const o = art(p);
    asks.push(
      {
        category: "manual-warranty",
        language: "pt",
        phrasings: [
          `qual a garantia ${of(p)} ${p.shortPt}?`,
          `quanto tempo de garantia tem ${o} ${p.shortPt}?`,
          `${o} ${p.shortPt} tem garantia de quantos meses?`,
        ],
        target: pt,
        related: warrantyRelated(en),
      },
      {
        category: "manual-howto",
        language: "pt",
        phrasings: [
          `como instalo ${o} ${p.shortPt}?`,
          `o que precisa pra instalar ${o} ${p.shortPt}?`,
          `como limpar ${o} ${p.shortPt}?`,
          `como faço a limpeza ${of(p)} ${p.shortPt}?`,
        ],
        target: pt,
        related: sibling(en),
      },
    );
    if (!en) {
      // A tourist or a foreign owner asks in English about a product documented only in Portuguese.
      asks.push({
        category: "manual-crosslingual",
        language: "en",
        phrasings: [`what's the warranty on the ${p.shortEn}?`, `how many months of warranty does the ${p.shortEn} have?`],
        target: pt,
        related: ["policy:garantia:en"],
      });
      continue;
    }
    docs.push({ key: en, title: `User Manual – ${p.nameEn}`, text: manualEn(p), type: "manual", language: "en", product: p.key });
    asks.push(
      {
        category: "manual-warranty",
        language: "en",
        phrasings: [`what is the warranty period for the ${p.shortEn}?`, `how long is the warranty on the ${p.shortEn}?`],
        target: en,
        related: warrantyRelated(pt),
      },
      {
        category: "manual-howto",
        language: "en",
        phrasings: [`how do I install the ${p.shortEn}?`, `how should I clean the ${p.shortEn}?`],
        target: en,
        related: [pt],
      },
    );
  }
  return { docs, asks };
}
