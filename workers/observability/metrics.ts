// A small Prometheus registry. Counters live in the isolate that served the request: locally that is
// one process; on Cloudflare each isolate reports its own share (scrape through Workers Analytics or
// sum across scrapes).
// Label values are bounded (D10): callers pass values from fixed sets (`oneOf`), and as a last guard a
// metric never holds more than MAX_SERIES_PER_METRIC series: further label sets count under "other".
type Labels = Record<string, string | number>;

export const MAX_SERIES_PER_METRIC = 1_000;
export const OTHER = "other";

/** `value` when it is one of `allowed`, else "other": for label values that come from requests. */
export function oneOf(value: string, allowed: ReadonlySet<string> | readonly string[]): string {
  const has = "has" in allowed ? allowed.has(value) : allowed.includes(value);
  return has ? value : OTHER;
}

const httpMethods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
export const httpMethodLabel = (method: string): string => oneOf(method, httpMethods);

/** The key of `labels`, or of the same labels all set to "other" once the metric is full. */
function boundedKey(labels: Labels, existing: { has(key: string): boolean; size: number }): string {
  const key = labelKey(labels);
  if (existing.size < MAX_SERIES_PER_METRIC || existing.has(key)) return key;
  return labelKey(Object.fromEntries(Object.keys(labels).map((k) => [k, OTHER])));
}

const counters = new Map<string, { help: string; values: Map<string, number> }>();
const histograms = new Map<
  string,
  { help: string; buckets: number[]; series: Map<string, { counts: number[]; sum: number; count: number }> }
>();

const labelKey = (labels: Labels): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
    .join(",");

export function counter(name: string, help: string) {
  const entry = counters.get(name) ?? { help, values: new Map<string, number>() };
  counters.set(name, entry);
  const add = (key: string, by: number): void => {
    entry.values.set(key, (entry.values.get(key) ?? 0) + by);
  };
  return {
    inc(labels: Labels = {}, by = 1): void {
      add(boundedKey(labels, entry.values), by);
    },
    /** The series of one label set, its key computed once: for hot loops. */
    with(labels: Labels) {
      const key = boundedKey(labels, entry.values);
      return { inc: (by = 1): void => add(key, by) };
    },
  };
}

export function histogram(name: string, help: string, buckets: number[]) {
  const entry = histograms.get(name) ?? { help, buckets, series: new Map() };
  histograms.set(name, entry);
  const seriesOf = (key: string) => {
    let s = entry.series.get(key);
    if (!s) {
      s = { counts: entry.buckets.map(() => 0), sum: 0, count: 0 };
      entry.series.set(key, s);
    }
    return s;
  };
  const record = (s: { counts: number[]; sum: number; count: number }, value: number, times: number) => {
    for (let i = 0; i < entry.buckets.length; i++) if (value <= entry.buckets[i]!) s.counts[i]! += times;
    s.sum += value * times;
    s.count += times;
  };
  return {
    /** `times`: the same value observed for several items at once (e.g. every event of a message). */
    observe(value: number, labels: Labels = {}, times = 1): void {
      record(seriesOf(boundedKey(labels, entry.series)), value, times);
    },
    /** The series of one label set, its key computed once: for hot loops. */
    with(labels: Labels) {
      const s = seriesOf(boundedKey(labels, entry.series));
      return { observe: (value: number, times = 1): void => record(s, value, times) };
    },
  };
}

export function renderMetrics(): string {
  const out: string[] = [];
  for (const [name, c] of counters) {
    out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
    for (const [key, v] of c.values) out.push(`${name}${key ? `{${key}}` : ""} ${v}`);
  }
  for (const [name, h] of histograms) {
    out.push(`# HELP ${name} ${h.help}`, `# TYPE ${name} histogram`);
    for (const [key, s] of h.series) {
      const sep = key ? `${key},` : "";
      for (const [i, b] of h.buckets.entries()) out.push(`${name}_bucket{${sep}le="${b}"} ${s.counts[i]}`);
      out.push(`${name}_bucket{${sep}le="+Inf"} ${s.count}`);
      out.push(`${name}_sum${key ? `{${key}}` : ""} ${s.sum}`, `${name}_count${key ? `{${key}}` : ""} ${s.count}`);
    }
  }
  return `${out.join("\n")}\n`;
}

const secondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
// Source clocks and replays make ingest lags span from milliseconds to hours.
const lagBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 3600];

// The platform's metrics, declared once so every module counts into the same series.
export const metrics = {
  httpRequests: counter("matchpulse_http_requests_total", "HTTP requests by route and status"),
  httpDuration: histogram("matchpulse_http_request_duration_seconds", "HTTP request duration", secondsBuckets),
  eventsIngested: counter("matchpulse_events_ingested_total", "Events accepted at the edge by sport and type"),
  eventsDuplicate: counter("matchpulse_events_duplicate_total", "Events recognised as duplicates at the edge"),
  eventsRejected: counter("matchpulse_events_rejected_total", "Events rejected by validation"),
  queueMessages: counter("matchpulse_queue_messages_sent_total", "Queue messages sent"),
  analyticsMessages: counter(
    "matchpulse_analytics_messages_sent_total",
    "Messages sent to the analytics queue (each under the 64 KB billing unit)",
  ),
  queueBatchSize: histogram("matchpulse_consumer_batch_size", "Messages per consumer batch", [1, 5, 10, 25, 50, 100]),
  queueMessagesConsumed: counter(
    "matchpulse_queue_messages_consumed_total",
    "Queue messages handled by the consumer, by outcome (acked, retried)",
  ),
  consumerBatchDuration: histogram(
    "matchpulse_consumer_batch_duration_seconds",
    "Time to handle one events batch (rooms + forwarding)",
    secondsBuckets,
  ),
  roomCallDuration: histogram(
    "matchpulse_room_call_duration_seconds",
    "One consumer → match room call (all of a batch's events for that match)",
    secondsBuckets,
  ),
  roomApplied: counter(
    "matchpulse_room_events_applied_total",
    "Events applied by match rooms (as reported to the consumer)",
  ),
  roomDuplicates: counter(
    "matchpulse_room_events_duplicate_total",
    "Events the match rooms had already applied (redeliveries, repeats the edge missed)",
  ),
  roomHeld: counter("matchpulse_room_events_held_total", "Events a match room holds behind a seq gap"),
  roomSqlRows: counter(
    "matchpulse_room_sqlite_rows_total",
    "Rows the match rooms' SQLite read and wrote (op=read|written; index rows included), as its cursors report them",
  ),
  ingestLatency: histogram(
    "matchpulse_ingest_latency_seconds",
    "Per event: source timestamp to edge acceptance (stage=source_to_accepted), acceptance to event-log write (stage=accepted_to_written)",
    lagBuckets,
  ),
  clickhouseRows: counter("matchpulse_clickhouse_rows_written_total", "Rows written to ClickHouse by table"),
  clickhouseInsert: histogram(
    "matchpulse_clickhouse_insert_duration_seconds",
    "ClickHouse insert latency",
    secondsBuckets,
  ),
  clickhouseQuery: histogram(
    "matchpulse_clickhouse_query_duration_seconds",
    "ClickHouse read latency by query",
    secondsBuckets,
  ),
  rateLimited: counter("matchpulse_rate_limited_total", "Requests refused with 429, by budget (ingest, read)"),
  quotaExceeded: counter(
    "matchpulse_quota_exceeded_total",
    "Requests refused with 429 quota_exceeded, by tenant quota (eventsPerDay, liveSockets)",
  ),
  rateLimitFailOpen: counter(
    "matchpulse_rate_limit_fail_open_total",
    "Requests let through because the rate limiter could not be asked, by budget",
  ),
  staleKeyAnswers: counter(
    "matchpulse_api_key_stale_answers_total",
    "API keys accepted from an earlier answer because Postgres could not be asked (stale-if-error)",
  ),
  dependencyErrors: counter("matchpulse_dependency_errors_total", "Failed calls to a dependency"),
  analyticsQuarantined: counter(
    "matchpulse_analytics_quarantined_total",
    "Analytics rows ClickHouse refused on their own (after splitting their batch), parked in dead_letters, by table",
  ),
  deadLettersParked: counter(
    "matchpulse_dead_letters_parked_total",
    "Queue messages parked in dead_letters (unknown version, or from a dead-letter queue), by source",
  ),
  stageDuration: histogram(
    "matchpulse_stage_duration_seconds",
    "Wall time of one pipeline stage per request or batch (ingest_dedup, ingest_enqueue, consumer_rooms, consumer_forward, consumer_confirm). Workers clocks advance only across I/O, so this is time spent waiting, not CPU",
    secondsBuckets,
  ),
  settlementJobs: counter(
    "matchpulse_settlement_jobs_total",
    "Prediction-game settlement messages by kind (final, page) and outcome (queued, acked, retried)",
  ),
  settlementStepDuration: histogram(
    "matchpulse_settlement_step_duration_seconds",
    "Time to handle one settlement message (a final score, or one page of guesses)",
    secondsBuckets,
  ),
  settlementDuration: histogram(
    "matchpulse_settlement_duration_seconds",
    "Final score to the last page settled, per game and match revision",
    [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  ),
  settlementWrite: histogram(
    "matchpulse_settlement_write_duration_seconds",
    "Settlement round trips by store (postgres, redis)",
    secondsBuckets,
  ),
  settlementPages: counter("matchpulse_settlement_pages_total", "Settlement pages scored (each one statement)"),
  guessesScored: counter(
    "matchpulse_guesses_scored_total",
    "Fans' totals settlement pages wrote to the board (only the fans whose points the match's score moves)",
  ),
  guessesAccepted: counter(
    "matchpulse_guesses_accepted_total",
    "Guesses stored, by outcome (accepted, rejected, locked)",
  ),
};
