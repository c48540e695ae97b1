// Metadata tables in Neon Postgres. drizzle-kit turns this file into migrations/postgres/*.sql.
import { sql } from "drizzle-orm";
import {
  boolean,
  doublePrecision,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

/** The tenant every row falls to that was written before tenants existed (migration 0005). */
export const DEFAULT_TENANT = "default";

/**
 * A tenant: a data provider or media client sharing the deployment. It owns API clients, matches, teams,
 * players, sources and games; ids are unique per tenant. Quotas bound what it may use on top of its
 * clients' rate limits (null: unlimited).
 */
export const tenants = pgTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  eventsPerDay: integer("events_per_day"),
  liveSockets: integer("live_sockets"),
  storedMatches: integer("stored_matches"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

const tenantId = () =>
  text("tenant_id")
    .notNull()
    .default(DEFAULT_TENANT)
    .references(() => tenants.id);

export const teams = pgTable(
  "teams",
  {
    tenantId: tenantId(),
    id: text("id").notNull(),
    sport: text("sport").notNull(),
    name: text("name").notNull(),
    country: text("country"),
    /** Pre-match strength on the Elo scale; the predictors read it. */
    rating: doublePrecision("rating").notNull().default(1500),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

export const players = pgTable(
  "players",
  {
    tenantId: tenantId(),
    id: text("id").notNull(),
    teamId: text("team_id"),
    name: text("name").notNull(),
    position: text("position"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.teamId], foreignColumns: [teams.tenantId, teams.id] }),
    index("players_team_idx").on(t.tenantId, t.teamId),
  ],
);

export const matches = pgTable(
  "matches",
  {
    tenantId: tenantId(),
    id: text("id").notNull(),
    sport: text("sport").notNull(),
    team1Id: text("team1_id"),
    team2Id: text("team2_id"),
    startsAt: timestamp("starts_at", { withTimezone: true }),
    venue: text("venue"),
    neutral: boolean("neutral").notNull().default(false),
    /** A knockout tie: a level score after 90 minutes goes to extra time and a shoot-out (football). */
    knockout: boolean("knockout").notNull().default(false),
    tournament: text("tournament"),
    bestOf: smallint("best_of"),
    status: text("status").notNull().default("scheduled"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.team1Id], foreignColumns: [teams.tenantId, teams.id] }),
    foreignKey({ columns: [t.tenantId, t.team2Id], foreignColumns: [teams.tenantId, teams.id] }),
    index("matches_sport_status_idx").on(t.tenantId, t.sport, t.status, t.startsAt),
    // Match lists filter and order by start time, then id.
    index("matches_starts_at_idx").on(t.tenantId, t.startsAt, t.id),
  ],
);

/**
 * A tenant's read grant on one of its matches to another tenant (a provider syndicating a feed to media
 * clients). Revoking deletes the row.
 */
export const matchGrants = pgTable(
  "match_grants",
  {
    tenantId: text("tenant_id").notNull(),
    matchId: text("match_id").notNull(),
    granteeTenantId: text("grantee_tenant_id")
      .notNull()
      .references(() => tenants.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.matchId, t.granteeTenantId] }),
    foreignKey({ columns: [t.tenantId, t.matchId], foreignColumns: [matches.tenantId, matches.id] }).onDelete(
      "cascade",
    ),
    index("match_grants_grantee_idx").on(t.granteeTenantId),
  ],
);

export const modelVersions = pgTable(
  "model_versions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sport: text("sport").notNull(),
    version: text("version").notNull(),
    params: jsonb("params"),
    metrics: jsonb("metrics"),
    active: boolean("active").notNull().default(true),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("model_versions_sport_version_idx").on(t.sport, t.version)],
);

export const apiClients = pgTable(
  "api_clients",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantId(),
    name: text("name").notNull(),
    /** HMAC-SHA-256 hex of the key under API_KEY_PEPPER; the key itself is shown once and never stored. */
    keyHash: text("key_hash").notNull(),
    /** First characters of the key, so an operator can tell keys apart. */
    keyPrefix: text("key_prefix").notNull(),
    scopes: text("scopes").array().notNull().default(sql`'{}'::text[]`),
    /** Rate limits: events per minute for ingest, requests per minute for reads and admin calls. */
    ingestPerMinute: integer("ingest_per_minute").notNull().default(120000),
    readPerMinute: integer("read_per_minute").notNull().default(6000),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("api_clients_key_hash_idx").on(t.keyHash), index("api_clients_tenant_idx").on(t.tenantId, t.id)],
);

/** A prediction competition over a set of matches, with its points for an exact score and an outcome. */
export const games = pgTable("games", {
  id: uuid("id").primaryKey().defaultRandom(),
  /** The game's matches are this tenant's. */
  tenantId: tenantId(),
  name: text("name").notNull(),
  exactPoints: smallint("exact_points").notNull().default(3),
  outcomePoints: smallint("outcome_points").notNull().default(1),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  /**
   * The game's settlement pass in progress (workers/games/settlement.ts): one walk of the game's fans at a
   * time, over every match settling when it began; null when none runs.
   */
  passId: uuid("pass_id"),
  /** When the pass last showed it is alive (its creation, then each of its messages); an old one is taken over. */
  passBeat: timestamp("pass_beat", { withTimezone: true }),
  /** The number of the game's latest pass (each one begun is the next): what its fan_points rows carry. */
  passSeq: integer("pass_seq").notNull().default(0),
  /** The number of the last pass that ended: fan_points rows of that pass or before hold settled points. */
  settledSeq: integer("settled_seq").notNull().default(0),
});

/**
 * A match of a game and its settlement: `revision` counts the final scores seen (a correction is the
 * next revision); a settlement job scores the match's guesses at one revision, page by page.
 */
export const gameMatches = pgTable(
  "game_matches",
  {
    gameId: uuid("game_id")
      .notNull()
      .references(() => games.id),
    matchId: text("match_id").notNull(),
    /** open (taking guesses until kick-off) | settling | settled */
    status: text("status").notNull().default("open"),
    revision: integer("revision").notNull().default(0),
    finalHome: smallint("final_home"),
    finalAway: smallint("final_away"),
    settlingSince: timestamp("settling_since", { withTimezone: true }),
    settledAt: timestamp("settled_at", { withTimezone: true }),
    durationMs: integer("duration_ms"),
    guessesScored: integer("guesses_scored").notNull().default(0),
    /** Guesses the game holds for the match, kept by the guess writes (so no status read counts them). */
    guessCount: integer("guess_count").notNull().default(0),
    /** The last settled revision's final score, from which a correction tells the fans it moves; null before the first. */
    appliedHome: smallint("applied_home"),
    appliedAway: smallint("applied_away"),
    /** Guess writes to the match so far (new or replacing): the version `guess_groups` was computed at. */
    guessWrites: integer("guess_writes").notNull().default(0),
    /**
     * A locked match's guessed scores with their counts (for provisional points while it is live),
     * computed once by the first status read after kick-off: {"at": guess_writes then, "groups": [...]}.
     * A later guess write makes it stale (at ≠ guess_writes), and the next read computes it again.
     */
    guessGroups: jsonb("guess_groups"),
    /** The settlement pass that settles this match's current revision (games.pass_id when it began). */
    passId: uuid("pass_id"),
  },
  (t) => [primaryKey({ columns: [t.gameId, t.matchId] }), index("game_matches_match_idx").on(t.matchId)],
);

/** One fan's guess of one match in one game (its points follow from the match's final score). */
export const guesses = pgTable(
  "guesses",
  {
    gameId: uuid("game_id").notNull(),
    matchId: text("match_id").notNull(),
    fanId: text("fan_id").notNull(),
    home: smallint("home").notNull(),
    away: smallint("away").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Settlement pages walk this key in order (keyset: fan_id > cursor).
    primaryKey({ columns: [t.gameId, t.matchId, t.fanId] }),
    // A fan range of a game with every guess's match and score in the key: settlement pages and a fan's
    // standing read it without visiting the table (an index-only scan once vacuum has seen the rows).
    index("guesses_fan_idx").on(t.gameId, t.fanId, t.matchId, t.home, t.away),
  ],
);

/**
 * Each fan's settled points in a game (their guesses of its settled matches at the applied scores), so a
 * settlement pass reads only its settling matches' guesses, whatever the game's other matches hold. A
 * pass writes a fan's row as it computes them, in two slots: `points` before the pass and `pending`
 * after it, with its number; the row holds `pending` once that pass has ended (pending_seq ≤ the game's
 * settled_seq), else `points`. So a pass's end (one update of the game row, in the transaction that
 * marks its matches settled) takes every row it wrote at once, and a pass that never ends leaves none.
 */
export const fanPoints = pgTable(
  "fan_points",
  {
    // No foreign key, as for guesses: its check cost a settlement page 1.5 ms per 500 rows.
    gameId: uuid("game_id").notNull(),
    fanId: text("fan_id").notNull(),
    points: integer("points").notNull(),
    pending: integer("pending").notNull(),
    pendingSeq: integer("pending_seq").notNull(),
  },
  (t) => [primaryKey({ columns: [t.gameId, t.fanId] })],
);

/**
 * Registered feeds of a match (issue 10 §2): a CS2 server's log stream or a GSI client. The token is shown
 * once and stored as HMAC-SHA-256 under API_KEY_PEPPER, like API keys. The parser's cursor is not here: it
 * lives in the source's SourceSession Durable Object, which serializes its batches.
 */
export const sources = pgTable(
  "sources",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: tenantId(),
    kind: text("kind").notNull(),
    matchId: text("match_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    /** First characters of the token, so an operator can tell tokens apart. */
    tokenPrefix: text("token_prefix").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("sources_match_idx").on(t.tenantId, t.matchId)],
);
