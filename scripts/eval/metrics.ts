/**
 * The usual IR metrics, as BEIR and trec_eval define them: graded gains 2^rel − 1 with a log2 discount for nDCG (the
 * ideal ranking comes from the judgements, not from what was retrieved), reciprocal rank of the first relevant hit,
 * and recall over everything judged relevant. A document counts as relevant when its grade is above 0.
 */

/** corpus id → grade, for one query. */
export type Judgements = ReadonlyMap<string, number>;

/** A ranking may repeat a document (several chunks); only its first, best place counts. */
const unique = (ranking: readonly string[], k: number) => [...new Set(ranking)].slice(0, k);

const gain = (grade: number) => 2 ** grade - 1;
const discount = (position: number) => Math.log2(position + 2);

export function ndcgAtK(ranking: readonly string[], judged: Judgements, k: number): number {
  const ideal = [...judged.values()]
    .filter((g) => g > 0)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, g, i) => sum + gain(g) / discount(i), 0);
  if (ideal === 0) return 0;
  const dcg = unique(ranking, k).reduce((sum, id, i) => sum + gain(Math.max(0, judged.get(id) ?? 0)) / discount(i), 0);
  return dcg / ideal;
}

export function mrrAtK(ranking: readonly string[], judged: Judgements, k: number): number {
  const at = unique(ranking, k).findIndex((id) => (judged.get(id) ?? 0) > 0);
  return at < 0 ? 0 : 1 / (at + 1);
}

export function recallAtK(ranking: readonly string[], judged: Judgements, k: number): number {
  const relevant = [...judged].filter(([, g]) => g > 0).length;
  if (!relevant) return 0;
  return unique(ranking, k).filter((id) => (judged.get(id) ?? 0) > 0).length / relevant;
}

export interface Cutoffs {
  ndcg: number;
  mrr: number;
  recall: number;
}
export const DEFAULT_CUTOFFS: Cutoffs = { ndcg: 10, mrr: 10, recall: 100 };

export interface QueryScores {
  queryId: string;
  ndcg: number;
  mrr: number;
  recall: number;
}

export interface Summary {
  cutoffs: Cutoffs;
  ndcg: number;
  mrr: number;
  recall: number;
  /** Queries averaged over: those with at least one relevant judgement. */
  queries: number;
  perQuery: QueryScores[];
}

/**
 * Means over every query with a relevant judgement; a judged query the run has no answer for scores 0 (a failed
 * search must lower the score, not vanish from the average).
 */
export function evaluate(
  run: ReadonlyMap<string, readonly string[]>,
  qrels: ReadonlyMap<string, Judgements>,
  cutoffs: Cutoffs = DEFAULT_CUTOFFS,
): Summary {
  const perQuery: QueryScores[] = [];
  for (const [queryId, judged] of qrels) {
    if (![...judged.values()].some((g) => g > 0)) continue;
    const ranking = run.get(queryId) ?? [];
    perQuery.push({
      queryId,
      ndcg: ndcgAtK(ranking, judged, cutoffs.ndcg),
      mrr: mrrAtK(ranking, judged, cutoffs.mrr),
      recall: recallAtK(ranking, judged, cutoffs.recall),
    });
  }
  const mean = (f: (q: QueryScores) => number) => (perQuery.length ? perQuery.reduce((s, q) => s + f(q), 0) / perQuery.length : 0);
  return {
    cutoffs,
    ndcg: mean((q) => q.ndcg),
    mrr: mean((q) => q.mrr),
    recall: mean((q) => q.recall),
    queries: perQuery.length,
    perQuery,
  };
}
