// Contract: the unmodified @upstash/redis and @upstash/ratelimit against the bridge and a real
// redis-server, as `npm test` starts them (the URLs come from its environment).
import { randomUUID } from "node:crypto";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { describe, expect, it } from "vitest";

const url = process.env.UPSTASH_REDIS_REST_URL;
const token = process.env.UPSTASH_REDIS_REST_TOKEN;
if (!url || !token)
  throw new Error(
    "UPSTASH_REDIS_REST_URL is not set: run through `npm test` (dev/test.ts), which starts the local stack",
  );

const redis = new Redis({ url, token, retry: false });
const key = (name: string) => `contract:${randomUUID()}:${name}`;

describe("upstash REST bridge", () => {
  it("sets and gets strings and JSON, base64 encoded on the wire", async () => {
    const k = key("get");
    expect(await redis.set(k, 'héllo ✓ \n\t"quoted"')).toBe("OK");
    expect(await redis.get(k)).toBe('héllo ✓ \n\t"quoted"');
    await redis.set(k, { a: 1, list: ["x", null] });
    expect(await redis.get(k)).toEqual({ a: 1, list: ["x", null] });
    expect(await redis.get(key("missing"))).toBeNull();
  });

  it("answers plain JSON when the client asks for no encoding", async () => {
    const plain = new Redis({ url, token, responseEncoding: false, retry: false });
    const k = key("plain");
    await plain.set(k, "ünïcode");
    expect(await plain.get(k)).toBe("ünïcode");
  });

  it("honours SET NX EX", async () => {
    const k = key("nx");
    expect(await redis.set(k, "first", { nx: true, ex: 60 })).toBe("OK");
    expect(await redis.set(k, "second", { nx: true, ex: 60 })).toBeNull();
    expect(await redis.get(k)).toBe("first");
    const ttl = await redis.ttl(k);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it("runs pipelines, including many commands in one request", async () => {
    const k = key("pipe");
    const p = redis.pipeline();
    p.set(k, 1);
    p.incr(k);
    p.incrby(k, 10);
    p.get(k);
    p.exists(k, key("absent"));
    expect(await p.exec()).toEqual(["OK", 2, 12, 12, 1]);

    const batch = redis.pipeline();
    const keys = Array.from({ length: 200 }, (_, i) => `${k}:${i}`);
    for (const [i, each] of keys.entries()) batch.set(each, i, { nx: true, ex: 30 });
    const results = await batch.exec();
    expect(results.every((r) => r === "OK")).toBe(true);
  });

  it("auto-pipelines concurrent calls", async () => {
    const auto = new Redis({ url, token, enableAutoPipelining: true, retry: false });
    const k = key("auto");
    const counts = await Promise.all(Array.from({ length: 20 }, () => auto.incr(k)));
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("answers a request while another one's command is still running in Redis", async () => {
    // BLPOP holds its connection until the list gets an element: with one connection for all requests,
    // the GET and the RPUSH queued behind it and the BLPOP would only end at its own timeout.
    const list = key("blocked");
    const k = key("meanwhile");
    await redis.set(k, "free");
    const order: string[] = [];
    // The client has no BLPOP: the REST form of it.
    const blocked = fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify(["BLPOP", list, "2"]),
    }).then(async (r) => {
      order.push("blpop");
      return (await r.json()) as unknown;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(await redis.get(k)).toBe("free");
    order.push("get");
    await redis.rpush(list, "done");
    expect(await blocked).toEqual({ result: [list, "done"] });
    expect(order).toEqual(["get", "blpop"]);
  });

  it("returns hashes as objects", async () => {
    const k = key("hash");
    expect(await redis.hset(k, { name: "Ada", goals: 3, tags: "x,y" })).toBe(3);
    expect(await redis.hgetall(k)).toEqual({ name: "Ada", goals: 3, tags: "x,y" });
    expect(await redis.hgetall(key("nohash"))).toBeNull();
  });

  it("runs MULTI/EXEC transactions", async () => {
    const k = key("tx");
    const tx = redis.multi();
    tx.set(k, 5);
    tx.incr(k);
    tx.get(k);
    expect(await tx.exec()).toEqual(["OK", 6, 6]);
  });

  it("surfaces Redis errors", async () => {
    const k = key("err");
    await redis.set(k, "not a number");
    await expect(redis.incr(k)).rejects.toThrow(/not an integer/);
    const p = redis.pipeline();
    p.incr(k);
    p.get(k);
    expect(await p.exec({ keepErrors: true })).toMatchObject([
      { error: expect.stringMatching(/not an integer/) },
      { result: "not a number" },
    ]);
  });

  it("runs EVAL and EVALSHA, with Upstash's script shebang flags", async () => {
    const k = key("eval");
    expect(await redis.eval("return {KEYS[1], ARGV[1], 42}", [k], ["v"])).toEqual([k, "v", 42]);
    const script = "#!lua flags=allow-key-locking\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])";
    expect(await redis.eval(script, [k], [5])).toBe(5);
    const sha = await redis.scriptLoad(script);
    expect(await redis.evalsha(sha, [k], [2])).toBe(7);
    expect(await redis.scriptExists(sha)).toEqual([1]);
  });

  it("refuses a wrong token", async () => {
    const intruder = new Redis({ url, token: `${token}-wrong`, retry: false });
    await expect(intruder.get(key("x"))).rejects.toThrow(/Unauthorized/);
  });

  it("serves @upstash/ratelimit: blocked after the limit", async () => {
    const limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(3, "10 s"),
      prefix: key("ratelimit"),
      ephemeralCache: false,
    });
    const outcomes = [];
    for (let i = 0; i < 5; i++) {
      const { success, remaining, pending } = await limiter.limit("client-1");
      await pending;
      outcomes.push({ success, remaining });
    }
    expect(outcomes.map((o) => o.success)).toEqual([true, true, true, false, false]);
    expect(outcomes[0]?.remaining).toBe(2);
    expect((await limiter.limit("client-2")).success).toBe(true);
  });
});
