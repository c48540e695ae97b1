// Metadata tables in Neon Postgres. drizzle-kit turns this file into migrations/postgres/*.sql.
import { sql } from "drizzle-orm";
import {
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

export const teams = pgTable("teams", {
  id: text("id").primaryKey(),
  sport: text("sport").notNull(),
  name: text("name").notNull(),
  country: text("country"),
  /** Pre-match strength on the Elo scale; the predictors read it. */
  rating: doublePrecision("rating").notNull().default(1500),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const players = pgTable(
  "players",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").references(() => teams.id),
    name: text("name").notNull(),
    position: text("position"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("players_team_idx").on(t.teamId)],
);

export const matches = pgTable(
  "matches",
  {
    id: text("id").primaryKey(),
    sport: text("sport").notNull(),
    team1Id: text("team1_id").references(() => teams.id),
    team2Id: text("team2_id").references(() => teams.id),
    startsAt: timestamp("starts_at", { withTimezone: true }),
    venue: text("venue"),
    neutral: boolean("neutral").notNull().default(false),
    tournament: text("tournament"),
    bestOf: smallint("best_of"),
    status: text("status").notNull().default("scheduled"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("matches_sport_status_idx").on(t.sport, t.status, t.startsAt),
    // Match lists filter and order by start time, then id.
    index("matches_starts_at_idx").on(t.startsAt, t.id),
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
  (t) => [uniqueIndex("api_clients_key_hash_idx").on(t.keyHash)],
);

export const fanGuesses = pgTable(
  "fan_guesses",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    matchId: text("match_id")
      .notNull()
      .references(() => matches.id),
    fanId: text("fan_id").notNull(),
    guess: jsonb("guess").notNull(),
    points: integer("points"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("fan_guesses_match_fan_idx").on(t.matchId, t.fanId)],
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
    kind: text("kind").notNull(),
    matchId: text("match_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    /** First characters of the token, so an operator can tell tokens apart. */
    tokenPrefix: text("token_prefix").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("sources_match_idx").on(t.matchId)],
);
