import { describe, expect, it } from "vitest";
import { BeirFormatError, checkReferences, parseCorpus, parseQrels, parseQueries, readBeir } from "../../scripts/eval/beir";

describe("BEIR corpus and queries", () => {
  it("reads JSON lines, tolerating a BOM, CRLF, blank lines, numeric ids and a missing title", () => {
    const text = '\uFEFF{"_id":"d1","title":"T","text":"one","metadata":{"language":"pt"}}\r\n\r\n{"_id":2,"text":"two"}\n';
    expect(parseCorpus(text)).toEqual([
      { _id: "d1", title: "T", text: "one", metadata: { language: "pt" } },
      { _id: "2", title: "", text: "two" },
    ]);
    expect(parseQueries('{"_id":"q1","text":"qual o valor?"}\n')).toEqual([{ _id: "q1", text: "qual o valor?" }]);
  });

  it.each([
    ['{"_id":"d1","text":"x"}\n{"_id":"d2","text":', "corpus.jsonl:2: not valid JSON"],
    ['["d1","x"]', "corpus.jsonl:1: expected a JSON object"],
    ['{"text":"x"}', 'corpus.jsonl:1: "_id" must be a non-empty string'],
    ['{"_id":"d1","text":"x"}\n{"_id":"d1","text":"y"}', 'corpus.jsonl:2: duplicate _id "d1"'],
    ['{"_id":"d1"}', 'corpus.jsonl:1: "text" is missing'],
    ['{"_id":"d1","text":3}', 'corpus.jsonl:1: "text" must be a string'],
    ['{"_id":"d1","title":"","text":"  "}', "corpus.jsonl:1: document has neither title nor text"],
    ['{"_id":"d1","text":"x","metadata":[]}', 'corpus.jsonl:1: "metadata" must be an object'],
  ])("names the file and line of a malformed corpus line: %s", (text, message) => {
    expect(() => parseCorpus(text)).toThrow(BeirFormatError);
    expect(() => parseCorpus(text)).toThrow(message);
  });

  it("refuses an empty query", () => {
    expect(() => parseQueries('{"_id":"q1","text":""}', "q.jsonl")).toThrow("q.jsonl:1: query text is empty");
  });
});

describe("BEIR qrels", () => {
  const expected = new Map([
    [
      "q1",
      new Map([
        ["d1", 2],
        ["d2", 1],
      ]),
    ],
    ["q2", new Map([["d3", 0]])],
  ]);

  it("reads graded judgements with or without the header", () => {
    expect(parseQrels("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t1\nq2\td3\t0\n")).toEqual(expected);
    expect(parseQrels("q1\td1\t2\r\nq1\td2\t1\n\nq2\td3\t0")).toEqual(expected);
  });

  it("reads TREC's four columns and space-separated files", () => {
    expect(parseQrels("q1 0 d1 2\nq1 0 d2 1\nq2 0 d3 0\n")).toEqual(expected);
  });

  it.each([
    ["q1\td1\t2\nq1\td1", "qrels/test.tsv:2: expected 3 columns"],
    ["q1\td1\t2\nq1\td2\thigh", 'qrels/test.tsv:2: score "high" is not an integer'],
    ["q1\td1\t2\nq1\td2\t1.5", 'qrels/test.tsv:2: score "1.5" is not an integer'],
    ["q1\td1\t2\nq1\td1\t1", 'qrels/test.tsv:2: query "q1" judges "d1" twice'],
    ["q1\t\t2", "qrels/test.tsv:1: empty query-id or corpus-id"],
  ])("names the line of a malformed judgement: %s", (text, message) => {
    expect(() => parseQrels(text)).toThrow(message);
  });
});

describe("readBeir", () => {
  const folder: Record<string, string> = {
    "/data/set/corpus.jsonl": '{"_id":"d1","text":"a"}\n{"_id":"d2","text":"b"}\n',
    "/data/set/queries.jsonl": '{"_id":"q1","text":"a?"}\n{"_id":"q2","text":"b?"}\n',
    "/data/set/qrels/test.tsv": "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\tgone\t1\nq9\td2\t1\n",
  };
  const read = async (p: string) => {
    const text = folder[p];
    if (text === undefined) throw new Error("ENOENT");
    return text;
  };

  it("reads the three files and reports dangling judgements as warnings", async () => {
    const set = await readBeir("/data/set/", read);
    expect(set.corpus.map((d) => d._id)).toEqual(["d1", "d2"]);
    expect(set.queries.map((q) => q._id)).toEqual(["q1", "q2"]);
    expect(set.qrels.get("q1")).toEqual(
      new Map([
        ["d1", 1],
        ["gone", 1],
      ]),
    );
    expect(set.warnings).toEqual([
      "1 judged queries are not in queries.jsonl (e.g. q9)",
      "1 judged documents are not in corpus.jsonl (e.g. gone)",
      "1 queries have no judgements and are left out of the averages",
    ]);
  });

  it("names the file it could not read, and the path of a malformed line", async () => {
    await expect(readBeir("/data/set", read, "dev")).rejects.toThrow("/data/set/qrels/dev.tsv: cannot read (ENOENT)");
    folder["/data/bad/corpus.jsonl"] = "{";
    folder["/data/bad/queries.jsonl"] = folder["/data/set/queries.jsonl"]!;
    folder["/data/bad/qrels/test.tsv"] = "";
    await expect(readBeir("/data/bad", read)).rejects.toThrow("/data/bad/corpus.jsonl:1: not valid JSON");
  });

  it("finds nothing to warn about in a consistent set", () => {
    expect(checkReferences([{ _id: "d", title: "", text: "x" }], [{ _id: "q", text: "x" }], new Map([["q", new Map([["d", 1]])]]))).toEqual(
      [],
    );
  });
});
