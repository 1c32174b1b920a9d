import { VENDOR } from "./entities";
import type { Ask, Language, SynthDoc } from "./types";

interface Policy {
  topic: string;
  language: Language;
  title: string;
  paragraphs: string[];
  questions: string[][];
}

const WA = VENDOR.whatsapp;

/** Written by hand: policies are one of a kind, their questions rarely share words with them. */
const POLICIES: Policy[] = [
  {
    topic: "troca",
    language: "pt",
    title: "Política de Troca e Devolução",
    paragraphs: [
      "POLÍTICA DE TROCA E DEVOLUÇÃO – VÉRTICE EQUIPAMENTOS",
      "Direito de arrependimento. Compras feitas fora da loja física (WhatsApp, site ou telefone) podem ser canceladas em até 7 " +
        "(sete) dias corridos a partir do recebimento, conforme o artigo 49 do Código de Defesa do Consumidor. Devolvemos o valor " +
        "integral, incluindo o frete.",
      "Troca por defeito. Produtos com defeito podem ser trocados em até 30 (trinta) dias do recebimento. A assistência técnica " +
        "avalia o equipamento em até 5 dias úteis e, confirmado o defeito de fabricação, o cliente escolhe entre um produto novo " +
        "igual ou o reembolso.",
      "Troca sem defeito. Aceitamos a troca por outro modelo em até 15 (quinze) dias, com o produto sem uso, na embalagem original, " +
        "com todos os acessórios e a nota fiscal. O frete de devolução fica por conta do cliente. Produtos feitos sob encomenda ou " +
        "já instalados não podem ser trocados por preferência.",
      "Reembolso. Pagamentos por PIX são devolvidos em até 10 dias úteis depois que o produto chega ao nosso depósito; no cartão de " +
        "crédito o estorno aparece na fatura seguinte ou na subsequente, conforme a administradora.",
      `Como pedir. Envie pelo WhatsApp ${WA} o número da nota fiscal, fotos do produto e da embalagem e o motivo da troca.`,
    ],
    questions: [
      ["posso trocar um produto depois de 7 dias?", "comprei pelo whatsapp e me arrependi, posso devolver?"],
      ["em quanto tempo cai o reembolso no pix?", "se eu devolver, quando recebo meu dinheiro de volta?"],
      ["o produto veio com defeito, até quando posso trocar?"],
    ],
  },
  {
    topic: "troca",
    language: "en",
    title: "Return and Exchange Policy",
    paragraphs: [
      "RETURN AND EXCHANGE POLICY – VÉRTICE EQUIPMENT",
      "Right of withdrawal. Purchases made outside our store (WhatsApp, website or phone) can be cancelled within 7 calendar days " +
        "of delivery, as provided by article 49 of the Brazilian Consumer Protection Code. We refund the full amount, shipping included.",
      "Defective items. Defective products can be exchanged within 30 days of delivery. Our service team inspects the unit within " +
        "5 business days and, once a manufacturing defect is confirmed, you choose between a new identical product or a refund.",
      "Change of mind. We accept exchanges for another model within 15 days if the product is unused, in its original packaging, " +
        "with all accessories and the invoice. Return shipping is paid by the customer. Made-to-order or " +
        "installed items cannot be exchanged.",
      "Refunds. PIX payments are refunded within 10 business days after the product reaches our warehouse; card refunds appear on " +
        "your next or following statement.",
      `How to ask. Send the invoice number, photos of the product and packaging and the reason to WhatsApp ${WA}.`,
    ],
    questions: [["what is your return policy?", "can I return something I bought over WhatsApp?"], ["how long do refunds take?"]],
  },
  {
    topic: "garantia",
    language: "pt",
    title: "Política de Garantia e Assistência Técnica",
    paragraphs: [
      "POLÍTICA DE GARANTIA E ASSISTÊNCIA TÉCNICA",
      "Todos os equipamentos vendidos pela Vértice têm a garantia legal de 90 (noventa) dias do Código de Defesa do Consumidor, " +
        "somada à garantia contratual do fabricante indicada no manual de cada produto. A garantia começa a contar na data de " +
        "emissão da nota fiscal, e não na data da instalação.",
      "Durante a garantia, o reparo é feito em até 30 dias. Se o defeito não for resolvido nesse prazo, o cliente pode escolher a " +
        "troca do produto, a devolução do valor pago ou o abatimento proporcional do preço.",
      "Garantia estendida. O cliente pode contratar mais 12 (doze) meses de garantia por 10% do valor do produto, em até 30 dias " +
        "da compra. A garantia estendida cobre as mesmas peças da garantia do fabricante.",
      "Atendimento no local. Em Campinas e região metropolitana a visita técnica em garantia não tem custo; em outras cidades é " +
        "cobrado o deslocamento de R$ 1,80 por quilômetro rodado, ou o cliente pode enviar o equipamento à nossa oficina.",
    ],
    questions: [
      ["a garantia conta a partir de quando? da compra ou da instalação?"],
      ["quanto custa a garantia estendida?", "dá pra aumentar a garantia do equipamento?"],
      ["vocês cobram a visita técnica na garantia fora de Campinas?"],
    ],
  },
  {
    topic: "garantia",
    language: "en",
    title: "Warranty Policy",
    paragraphs: [
      "WARRANTY AND SERVICE POLICY",
      "Every product sold by Vértice carries the 90-day legal warranty of the Brazilian Consumer Protection Code, plus the " +
        "manufacturer's warranty stated in each product manual. The warranty starts on the invoice date, not on the installation date.",
      "Warranty repairs are completed within 30 days; if the fault is not fixed in that time, the customer may choose a replacement, " +
        "a refund or a proportional price reduction.",
      "Extended warranty: 12 more months can be purchased for 10% of the product price within 30 days of purchase.",
      "On-site service is free in Campinas and its metropolitan region; elsewhere travel is charged at R$ 1.80 per kilometre.",
    ],
    questions: [["when does the warranty start?", "how much is the extended warranty?"]],
  },
  {
    topic: "entrega",
    language: "pt",
    title: "Política de Entrega e Frete",
    paragraphs: [
      "POLÍTICA DE ENTREGA E FRETE",
      "Prazos de entrega, contados da confirmação do pagamento: Campinas e região, 2 dias úteis; demais cidades do estado de São " +
        "Paulo, 5 dias úteis; outros estados das regiões Sul e Sudeste, 7 a 10 dias úteis; Centro-Oeste, Nordeste e Norte, até 15 " +
        "dias úteis.",
      "Frete grátis para compras acima de R$ 3.000,00 com entrega no estado de São Paulo. Para os demais estados o frete é cotado " +
        "com a transportadora no fechamento do pedido e informado pelo WhatsApp antes do pagamento.",
      "Freezers, vitrines e expositores são entregues com agendamento, em dia e horário combinados. Confira a mercadoria no ato da " +
        "entrega: se a embalagem estiver avariada, recuse o recebimento e avise-nos na hora.",
      "O código de rastreio é enviado pelo WhatsApp assim que o pedido sai do nosso depósito em Campinas.",
    ],
    questions: [
      ["vocês entregam em outro estado? quanto é o frete?", "o frete é grátis?"],
      ["em quantos dias chega um pedido em Curitiba?", "demora quanto pra entregar no nordeste?"],
      ["a caixa do freezer chegou amassada, o que eu faço?"],
    ],
  },
  {
    topic: "entrega",
    language: "en",
    title: "Shipping Policy",
    paragraphs: [
      "SHIPPING POLICY",
      "Delivery times from payment confirmation: Campinas area, 2 business days; rest of São Paulo state, 5 business days; other " +
        "states in the South and Southeast, 7 to 10 business days; Center-West, Northeast and North, up to 15 business days.",
      "Free shipping on orders over R$ 3,000.00 delivered in São Paulo state. For other states, shipping is quoted by the carrier " +
        "when the order is placed and confirmed on WhatsApp before payment.",
      "Freezers and display cases are delivered by appointment. Inspect the goods on delivery and refuse damaged packages.",
    ],
    questions: [["do you ship to Rio de Janeiro?", "how long does delivery take?"], ["is shipping free?"]],
  },
  {
    topic: "privacidade",
    language: "pt",
    title: "Política de Privacidade e Proteção de Dados (LGPD)",
    paragraphs: [
      "POLÍTICA DE PRIVACIDADE E PROTEÇÃO DE DADOS PESSOAIS",
      "Coletamos nome, telefone, e-mail, CPF ou CNPJ, endereço de entrega e o conteúdo das conversas pelo WhatsApp, para emitir " +
        "notas fiscais, entregar pedidos, prestar assistência técnica e responder a solicitações, com base na execução de contrato e " +
        "no cumprimento de obrigações legais da Lei Geral de Proteção de Dados (Lei nº 13.709/2018).",
      "Compartilhamos dados apenas com transportadoras, instituições de pagamento e o contador responsável pela escrituração fiscal. " +
        "Não vendemos dados pessoais.",
      "Documentos fiscais são guardados por 5 (cinco) anos, como exige a lei; as conversas do WhatsApp são mantidas por 2 (dois) " +
        "anos e depois apagadas.",
      "O titular pode pedir acesso, correção, portabilidade ou exclusão dos seus dados pelo e-mail " +
        "privacidade@verticeequipamentos.com.br, " +
        "do nosso encarregado de dados (DPO), com resposta em até 15 dias.",
    ],
    questions: [
      ["o que vocês fazem com meus dados pessoais?", "vocês passam meus dados pra outras empresas?"],
      ["por quanto tempo vocês guardam as conversas do whatsapp?"],
      ["como peço pra apagar meus dados?"],
    ],
  },
  {
    topic: "atendimento",
    language: "pt",
    title: "Atendimento pelo WhatsApp",
    paragraphs: [
      "ATENDIMENTO PELO WHATSAPP",
      `Nosso número oficial é ${WA}. O atendimento humano funciona de segunda a sexta-feira, das 8h às 18h, e aos sábados, das 8h ` +
        "às 12h, exceto feriados. Fora desse horário, a assistente virtual responde dúvidas, envia segunda via de boleto e abre chamados.",
      "No horário comercial respondemos em até 15 minutos. Clientes com contrato de manutenção têm plantão 24 horas para " +
        "equipamentos de refrigeração parados, pelo mesmo número.",
      "Nunca pedimos senhas, códigos de verificação ou pagamentos para contas de pessoas físicas. Em caso de dúvida sobre uma " +
        "cobrança, confirme pelo número oficial antes de pagar.",
    ],
    questions: [
      ["qual o horário de atendimento no whatsapp?", "vocês atendem sábado?"],
      ["meu freezer parou de madrugada, tem alguém pra atender?"],
      ["recebi uma cobrança de outro número, é golpe?"],
    ],
  },
  {
    topic: "atendimento",
    language: "en",
    title: "WhatsApp Support Hours",
    paragraphs: [
      "WHATSAPP SUPPORT",
      `Our official number is ${WA}. Human agents answer Monday to Friday from 8 am to 6 pm and on Saturdays from 8 am to noon, ` +
        "except public holidays. Outside those hours a virtual assistant answers questions, resends bank slips and opens service tickets.",
      "During business hours we reply within 15 minutes. Customers with a maintenance agreement have a 24-hour line for stopped " +
        "refrigeration equipment.",
    ],
    questions: [["what time does support answer on WhatsApp?", "are you open on Saturdays?"]],
  },
  {
    topic: "pagamento",
    language: "pt",
    title: "Formas de Pagamento e Parcelamento",
    paragraphs: [
      "FORMAS DE PAGAMENTO E PARCELAMENTO",
      "PIX à vista tem 5% (cinco por cento) de desconto sobre o preço de tabela. No cartão de crédito parcelamos em até 10 vezes " +
        "sem juros, com parcela mínima de R$ 150,00.",
      "Boleto bancário a prazo (28, 56 e 84 dias) é oferecido a empresas com cadastro aprovado pelo nosso financeiro, o que leva " +
        "até 2 dias úteis. Não aceitamos cheques.",
      "Pagamentos em atraso têm multa de 2% e juros de 1% ao mês; depois de 30 dias o título pode ser enviado a protesto. A nota " +
        "fiscal é emitida no faturamento do pedido e enviada por e-mail e pelo WhatsApp.",
    ],
    questions: [
      ["dá pra parcelar no cartão?", "em quantas vezes sem juros?"],
      ["aceita cheque?", "tem desconto pagando no pix?"],
      ["o que acontece se eu atrasar o pagamento?"],
    ],
  },
  {
    topic: "cancelamento",
    language: "pt",
    title: "Cancelamento de Contratos de Manutenção",
    paragraphs: [
      "CANCELAMENTO DE CONTRATOS DE MANUTENÇÃO E LOCAÇÃO",
      "O pedido de cancelamento deve ser feito por escrito, pelo WhatsApp ou pelo e-mail " +
        `${VENDOR.email}, respeitando o aviso prévio previsto em cada contrato. A multa rescisória é a do contrato assinado.`,
      "Não há multa quando a Vértice descumprir o prazo de atendimento de chamados três vezes em um período de 12 meses, " +
        "registradas pelo número do chamado.",
      "Equipamentos reserva ou locados devem ser devolvidos em até 5 dias úteis após o encerramento; a retirada é agendada por nós.",
    ],
    questions: [["como faço pra cancelar o contrato de manutenção?", "posso cancelar sem pagar multa se vocês atrasarem o atendimento?"]],
  },
  {
    topic: "instalacao",
    language: "pt",
    title: "Instalação e Agendamento de Visitas",
    paragraphs: [
      "INSTALAÇÃO E AGENDAMENTO DE VISITAS TÉCNICAS",
      "A instalação é gratuita para compras acima de R$ 5.000,00 em Campinas e região; nos demais casos é orçada junto com o pedido.",
      "As visitas são agendadas pelo WhatsApp com pelo menos 48 horas de antecedência. O cliente deve deixar prontos os pontos " +
        "elétricos e hidráulicos indicados no manual do equipamento.",
      "Remarcações com 24 horas de antecedência não têm custo. Visita improdutiva, quando o técnico não consegue instalar por falta " +
        "de ponto de energia, água ou acesso, é cobrada em R$ 180,00.",
    ],
    questions: [
      ["a instalação é grátis?", "vocês cobram pra instalar?"],
      ["quanto cobra se o técnico vier e não der pra instalar?", "preciso marcar a instalação com quanto tempo de antecedência?"],
    ],
  },
];

export function buildPolicies(): { docs: SynthDoc[]; asks: Ask[] } {
  const docs: SynthDoc[] = [];
  const asks: Ask[] = [];
  for (const p of POLICIES) {
    const key = `policy:${p.topic}:${p.language}`;
    docs.push({ key, title: p.title, text: p.paragraphs.join("\n\n"), type: "policy", language: p.language });
    const other = POLICIES.find((q) => q.topic === p.topic && q.language !== p.language);
    for (const phrasings of p.questions) {
      asks.push({
        category: "policy",
        language: p.language,
        phrasings,
        target: key,
        related: other ? [`policy:${other.topic}:${other.language}`] : [],
      });
    }
  }
  return { docs, asks };
}
