// Contract: the unmodified @clickhouse/client-web against the HTTP front over chdb, as `npm test`
// starts it (the URL comes from its environment).
import { randomUUID } from "node:crypto";
import { type ClickHouseClient, ClickHouseError, createClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const url = process.env.CLICKHOUSE_URL;
if (!url)
  throw new Error("CLICKHOUSE_URL is not set: run through `npm test` (dev/test.ts), which starts the local stack");
const credentials = {
  url,
  username: process.env.CLICKHOUSE_USER || "default",
  password: process.env.CLICKHOUSE_PASSWORD ?? "",
};
const database = `contract_${randomUUID().replace(/-/g, "")}`;

let client: ClickHouseClient;
beforeAll(async () => {
  const server = createClient(credentials);
  await server.command({ query: `CREATE DATABASE ${database}` });
  await server.close();
  client = createClient({ ...credentials, database });
  await client.command({
    query: `CREATE TABLE events (
              event_id UUID, match_id String, sport LowCardinality(String), ts DateTime64(3, 'UTC'),
              seq UInt64, payload String DEFAULT '{}')
            ENGINE = ReplacingMergeTree ORDER BY (match_id, ts, event_id)`,
  });
});
afterAll(async () => {
  await client?.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await client?.close();
});

describe("clickhouse HTTP front over chdb", () => {
  it("answers /ping and the client's ping", async () => {
    const res = await fetch(`${url}/ping`);
    expect(await res.text()).toBe("Ok.\n");
    expect((await client.ping()).success).toBe(true);
  });

  it("inserts JSONEachRow and queries it back with {name:Type} parameters", async () => {
    const rows = [
      {
        event_id: randomUUID(),
        match_id: "m1",
        sport: "football",
        ts: "2026-05-01 12:00:00.123",
        seq: 1,
        payload: '{"goal":true}',
      },
      { event_id: randomUUID(), match_id: "m1", sport: "football", ts: "2026-05-01 12:00:01.456", seq: 2 },
      { event_id: randomUUID(), match_id: "m2", sport: "tennis", ts: "2026-05-01 12:00:02.000", seq: 3 },
    ];
    const inserted = await client.insert({ table: "events", values: rows, format: "JSONEachRow" });
    // client-web hands the summary over as a raw header (only the Node client parses it).
    expect(JSON.parse(String(inserted.response_headers["x-clickhouse-summary"]))).toMatchObject({ written_rows: "3" });

    const result = await client.query({
      query:
        "SELECT match_id, sport, ts, seq, payload FROM events WHERE match_id = {id:String} AND ts >= {since:DateTime64(3, 'UTC')} ORDER BY seq",
      query_params: { id: "m1", since: new Date("2026-05-01T12:00:00.000Z") },
      format: "JSONEachRow",
    });
    expect(result.query_id).toBeTruthy();
    expect(await result.json()).toEqual([
      { match_id: "m1", sport: "football", ts: "2026-05-01 12:00:00.123", seq: 1, payload: '{"goal":true}' },
      { match_id: "m1", sport: "football", ts: "2026-05-01 12:00:01.456", seq: 2, payload: "{}" },
    ]);
  });

  it("binds strings with quotes, backslashes, tabs and newlines exactly; arrays too", async () => {
    const tricky = "it's a \\ back\\slash\ttab\nnewline ✓";
    const result = await client.query({
      query: "SELECT {s:String} AS s, length({s:String}) AS n, has({list:Array(String)}, 'b''c') AS found",
      query_params: { s: tricky, list: ["a", "b'c", "d\\e"] },
      format: "JSONEachRow",
    });
    expect(await result.json()).toEqual([{ s: tricky, n: Buffer.byteLength(tricky), found: 1 }]);
  });

  it("honours the JSON, JSONCompactEachRow and TabSeparated formats", async () => {
    const json = await (await client.query({ query: "SELECT 1 AS a, 'x' AS b", format: "JSON" })).json<{
      a: number;
      b: string;
    }>();
    expect(json.data).toEqual([{ a: 1, b: "x" }]);
    expect(json.meta?.map((m) => m.type)).toEqual(["UInt8", "String"]);
    const compact = await (
      await client.query({ query: "SELECT 1 AS a, 'x' AS b", format: "JSONCompactEachRow" })
    ).json();
    expect(compact).toEqual([[1, "x"]]);
    const tsv = await (await client.query({ query: "SELECT 1 AS a, 'x' AS b", format: "TabSeparated" })).text();
    expect(tsv).toBe("1\tx\n");
  });

  it("keeps settings and parameters to the request that sent them", async () => {
    const setting = async (settings?: { max_block_size: string }) =>
      (
        await (
          await client.query({
            query: "SELECT getSetting('max_block_size') AS v",
            format: "JSONEachRow",
            clickhouse_settings: settings,
          })
        ).json<{ v: unknown }>()
      )[0]?.v;
    expect(String(await setting({ max_block_size: "1234" }))).toBe("1234");
    expect(String(await setting())).not.toBe("1234");

    await client.query({ query: "SELECT {leak:String}", query_params: { leak: "x" } });
    await expect(client.query({ query: "SELECT {leak:String}" })).rejects.toMatchObject({
      type: "UNKNOWN_QUERY_PARAMETER",
    });
    expect(
      await (await client.query({ query: "SELECT currentDatabase() AS db", format: "JSONEachRow" })).json(),
    ).toEqual([{ db: database }]);
  });

  it("accepts parameters sent as multipart form data", async () => {
    const multipart = createClient({ ...credentials, database, use_multipart_params: true });
    const result = await multipart.query({
      query: "SELECT {n:UInt32} * 2 AS v",
      query_params: { n: 21 },
      format: "JSONEachRow",
    });
    expect(await result.json()).toEqual([{ v: 42 }]);
    await multipart.close();
  });

  it("surfaces ClickHouse errors with code and type", async () => {
    const failure = await client.query({ query: "SELECT * FROM no_such_table" }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ClickHouseError);
    expect(failure).toMatchObject({ code: "60", type: "UNKNOWN_TABLE" });
    await expect(client.command({ query: "SELEC 1" })).rejects.toMatchObject({ code: "62", type: "SYNTAX_ERROR" });
  });

  it("serves concurrent requests", async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        client
          .query({ query: "SELECT {i:UInt8} AS i", query_params: { i }, format: "JSONEachRow" })
          .then((r) => r.json<{ i: number }>()),
      ),
    );
    expect(results.map((r) => r[0]?.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
