/** The cast of the synthetic corpus: one equipment dealer in Campinas and its customers. */
import { type Product, productByKey } from "./products";

export const VENDOR = {
  name: "Vértice Equipamentos Comerciais Ltda.",
  brand: "Vértice",
  cnpjBase: "274519830001",
  address: "Rua Barão de Jaguara, 1120, Centro, Campinas/SP, CEP 13015-002",
  whatsapp: "(19) 99876-5432",
  email: "atendimento@verticeequipamentos.com.br",
  signer: "Marcelo Antunes Ribeiro",
};

export interface Client {
  key: string;
  /** The name customers and staff use on WhatsApp. */
  name: string;
  legalName: string;
  city: string;
  uf: string;
  /** Who signs and who pays; also a name a query may use. */
  contact: string;
  segment: string;
  language: "pt" | "en";
  /** Pronoun-free article for "contrato da Padaria" / "do Açougue". */
  article: "a" | "o";
}

const c = (
  key: string,
  name: string,
  legalName: string,
  cityUf: string,
  contact: string,
  segment: string,
  article: "a" | "o" = "a",
  language: "pt" | "en" = "pt",
): Client => {
  const [city, uf] = cityUf.split("/") as [string, string];
  return { key, name, legalName, city, uf, contact, segment, language, article };
};

/** Pairs with near names (São João / São José, Visão / Nova Visão) are on purpose: retrieval must use the specifics. */
export const CLIENTS: Client[] = [
  c("sao-joao", "Padaria São João", "Panificadora São João Ltda.", "Campinas/SP", "Antônio Ferreira Lima", "padaria"),
  c("sao-jose", "Padaria São José", "Panificadora e Confeitaria São José Ltda.", "Jundiaí/SP", "Rosângela Prado", "padaria"),
  c("otica-visao", "Ótica Visão", "Ótica Visão Comércio de Artigos Ópticos Ltda.", "Sorocaba/SP", "Juliana Martins Costa", "ótica"),
  c("nova-visao", "Ótica Nova Visão", "Nova Visão Óptica Eireli", "Piracicaba/SP", "Cláudio Nogueira", "ótica"),
  c("bem-estar", "Farmácia Bem-Estar", "Drogaria Bem-Estar Ltda.", "Ribeirão Preto/SP", "Patrícia Alves Moura", "farmácia"),
  c("bem-viver", "Farmácia Bem Viver", "Bem Viver Farmácia de Manipulação Ltda.", "Uberlândia/MG", "Eduardo Siqueira", "farmácia"),
  c(
    "sabor-terra",
    "Restaurante Sabor da Terra",
    "Sabor da Terra Restaurante Ltda.",
    "Belo Horizonte/MG",
    "Márcia Rezende",
    "restaurante",
    "o",
  ),
  c(
    "sabor-mineiro",
    "Restaurante Sabor Mineiro",
    "Sabor Mineiro Comida Caseira Ltda.",
    "Belo Horizonte/MG",
    "Geraldo Tavares",
    "restaurante",
    "o",
  ),
  c("corpo-forma", "Academia Corpo em Forma", "Corpo em Forma Atividades Físicas Ltda.", "Curitiba/PR", "Rafael Kowalski", "academia"),
  c("amigo-fiel", "Pet Shop Amigo Fiel", "Amigo Fiel Comércio de Produtos Pet Ltda.", "Londrina/PR", "Fernanda Yamamoto", "pet shop", "o"),
  c("boa-esperanca", "Mercadinho Boa Esperança", "Mercearia Boa Esperança Ltda.", "Goiânia/GO", "Valdir Cardoso", "mercado", "o"),
  c("beleza-pura", "Salão Beleza Pura", "Beleza Pura Estética Ltda.", "Florianópolis/SC", "Camila Reis", "salão", "o"),
  c("lanchonete-ze", "Lanchonete do Zé", "José Carlos Pereira Lanches ME", "Santos/SP", "José Carlos Pereira", "lanchonete"),
  c("sorriso", "Clínica Odontológica Sorriso", "Clínica Sorriso Odontologia S/S", "Porto Alegre/RS", "Dra. Luciana Becker", "clínica"),
  c("gelato-mio", "Sorveteria Gelato Mio", "Gelato Mio Sorvetes Artesanais Ltda.", "São José dos Campos/SP", "Marco Bellini", "sorveteria"),
  c("forno-lenha", "Pizzaria Forno a Lenha", "Forno a Lenha Pizzaria e Restaurante Ltda.", "Campinas/SP", "Renato Gallo", "pizzaria"),
  c("grao-ouro", "Café Grão de Ouro", "Grão de Ouro Cafeteria Ltda.", "São Paulo/SP", "Beatriz Andrade", "cafeteria", "o"),
  c("grao-fino", "Cafeteria Grão Fino", "Grão Fino Cafés Especiais Ltda.", "São Paulo/SP", "Thiago Mendes", "cafeteria"),
  c("verde-vida", "Hortifruti Verde Vida", "Verde Vida Hortifrutigranjeiros Ltda.", "Niterói/RJ", "Sandra Oliveira", "hortifruti", "o"),
  c("ponto-certo", "Papelaria Ponto Certo", "Ponto Certo Papelaria e Informática Ltda.", "Vitória/ES", "Leandro Vieira", "papelaria"),
  c("veloz", "Auto Peças Veloz", "Veloz Comércio de Autopeças Ltda.", "Campo Grande/MS", "Wagner Duarte", "autopeças"),
  c("bolha-sabao", "Lavanderia Bolha de Sabão", "Bolha de Sabão Lavanderia Ltda.", "Salvador/BA", "Adriana Santos", "lavanderia"),
  c("doce-encanto", "Confeitaria Doce Encanto", "Doce Encanto Confeitaria Ltda.", "Recife/PE", "Carla Albuquerque", "confeitaria"),
  c("boi-nobre", "Açougue Boi Nobre", "Boi Nobre Comércio de Carnes Ltda.", "Cuiabá/MT", "Sebastião Rocha", "açougue", "o"),
  c("santa-clara", "Empório Santa Clara", "Empório Santa Clara Alimentos Ltda.", "Petrópolis/RJ", "Helena Vasconcelos", "empório", "o"),
  c("brasa-viva", "Hamburgueria Brasa Viva", "Brasa Viva Lanchonete Ltda.", "Fortaleza/CE", "Diego Holanda", "hamburgueria"),
  c(
    "jardim-secreto",
    "Floricultura Jardim Secreto",
    "Jardim Secreto Flores e Presentes Ltda.",
    "Holambra/SP",
    "Ingrid van der Berg",
    "floricultura",
  ),
  c("pagina-nova", "Livraria Página Nova", "Página Nova Livraria e Café Ltda.", "Brasília/DF", "Otávio Campos", "livraria"),
  c("navalha-ouro", "Barbearia Navalha de Ouro", "Navalha de Ouro Barbearia Ltda.", "Joinville/SC", "Gustavo Schmitt", "barbearia"),
  c("mar-azul", "Pousada Mar Azul", "Mar Azul Hotelaria e Turismo Ltda.", "Ubatuba/SP", "Lívia Monteiro", "pousada"),
  c("agua-pura", "Distribuidora Água Pura", "Água Pura Distribuidora de Bebidas Ltda.", "Manaus/AM", "Raimundo Farias", "distribuidora"),
  c("quitanda-vila", "Quitanda da Vila", "Quitanda da Vila Comércio de Alimentos ME", "Belém/PA", "Conceição Pantoja", "quitanda"),
  c("carnes-gaucha", "Casa de Carnes Gaúcha", "Casa de Carnes Gaúcha Ltda.", "Caxias do Sul/RS", "Jorge Bortolotto", "açougue"),
  c("equilibrio", "Studio Pilates Equilíbrio", "Equilíbrio Studio de Pilates Ltda.", "Maringá/PR", "Aline Furtado", "estúdio", "o"),
  c("vovo-lucia", "Doceria Vovó Lúcia", "Vovó Lúcia Doces Caseiros Ltda.", "Juiz de Fora/MG", "Lúcia Helena Costa", "doceria"),
  c("bom-preco", "Supermercado Bom Preço", "Bom Preço Supermercados Ltda.", "Natal/RN", "Francisco Bezerra", "supermercado", "o"),
  c(
    "blue-harbor",
    "Blue Harbor Coffee Co.",
    "Blue Harbor Coffee Comércio Ltda.",
    "Rio de Janeiro/RJ",
    "Emily Carter",
    "coffee shop",
    "a",
    "en",
  ),
  c("greenleaf", "Greenleaf Organics", "Greenleaf Organics Alimentos Ltda.", "São Paulo/SP", "Daniel Brooks", "organic grocer", "a", "en"),
  c("sunrise", "Sunrise Bakery", "Sunrise Bakery Panificação Ltda.", "Florianópolis/SC", "Olivia Bennett", "bakery", "a", "en"),
  c("maple", "Maple & Co. Bistro", "Maple Bistrô Ltda.", "Curitiba/PR", "Ryan Mitchell", "bistro", "o", "en"),
  c("northwind", "Northwind Trading", "Northwind Trading Importação Ltda.", "Santos/SP", "Sarah Whitfield", "importer", "a", "en"),
  c("harbor-view", "Harbor View Hostel", "Harbor View Hospedagem Ltda.", "Paraty/RJ", "James O'Connor", "hostel", "o", "en"),
];

export const clientByKey = (key: string) => {
  const cl = CLIENTS.find((x) => x.key === key);
  if (!cl) throw new Error(`unknown client ${key}`);
  return cl;
};

/** "da Padaria São João", "do Açougue Boi Nobre" */
export const ofClient = (cl: Client) => `${cl.article === "a" ? "da" : "do"} ${cl.name}`;
/** "para a Padaria São João", "para o Açougue Boi Nobre" */
export const forClient = (cl: Client) => `para ${cl.article} ${cl.name}`;

/** What each kind of shop would plausibly buy, rent or have serviced. */
const POOLS: [segments: string[], products: string[]][] = [
  [
    ["padaria", "confeitaria", "doceria", "bakery"],
    ["x200", "x300", "f45", "bp15", "vr120", "tp80", "cf12", "pa8", "fh400"],
  ],
  [
    ["cafeteria", "coffee shop", "livraria"],
    ["barista", "cf12", "x200", "vr120", "tp80", "pw5"],
  ],
  [
    ["restaurante", "pizzaria", "bistro", "lanchonete", "hamburgueria"],
    ["x300", "x200", "f45", "cb70", "pa8", "fh400", "mc22", "sv30", "tp80"],
  ],
  [["açougue"], ["mc22", "ff250", "sv30", "bp15", "fh400", "tp80", "vr120"]],
  [
    ["mercado", "supermercado", "empório", "hortifruti", "quitanda", "organic grocer", "importer", "distribuidora"],
    ["bp15", "ff250", "fh400", "eb300", "tp80", "vr120", "sv30"],
  ],
  [["sorveteria"], ["fh400", "vr120", "x200", "eb300", "tp80"]],
  [
    ["pousada", "hostel"],
    ["barista", "cf12", "pw5", "fh400", "eb300"],
  ],
  [["pet shop"], ["bp15", "tp80", "pw5", "eb300"]],
];
const OFFICE_POOL = ["pw5", "cf12", "tp80", "eb300"];

export const productsFor = (cl: Client): Product[] =>
  (POOLS.find(([segments]) => segments.includes(cl.segment))?.[1] ?? OFFICE_POOL).map(productByKey);

export const SELLERS = ["Paula Regina Souza", "Bruno Tavares", "Larissa Campos", "Henrique Batista"];
