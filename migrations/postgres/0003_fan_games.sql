CREATE TABLE "fan_totals" (
	"game_id" uuid NOT NULL,
	"fan_id" text NOT NULL,
	"points" integer DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "fan_totals_game_id_fan_id_pk" PRIMARY KEY("game_id","fan_id")
);
--> statement-breakpoint
CREATE TABLE "game_matches" (
	"game_id" uuid NOT NULL,
	"match_id" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"revision" integer DEFAULT 0 NOT NULL,
	"final_home" smallint,
	"final_away" smallint,
	"settling_since" timestamp with time zone,
	"settled_at" timestamp with time zone,
	"duration_ms" integer,
	"guesses_scored" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "game_matches_game_id_match_id_pk" PRIMARY KEY("game_id","match_id")
);
--> statement-breakpoint
CREATE TABLE "games" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"exact_points" smallint DEFAULT 3 NOT NULL,
	"outcome_points" smallint DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "guesses" (
	"game_id" uuid NOT NULL,
	"match_id" text NOT NULL,
	"fan_id" text NOT NULL,
	"home" smallint NOT NULL,
	"away" smallint NOT NULL,
	"points" smallint,
	"prev_points" smallint,
	"scored_revision" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "guesses_game_id_match_id_fan_id_pk" PRIMARY KEY("game_id","match_id","fan_id")
);
--> statement-breakpoint
DROP TABLE "fan_guesses" CASCADE;--> statement-breakpoint
ALTER TABLE "game_matches" ADD CONSTRAINT "game_matches_game_id_games_id_fk" FOREIGN KEY ("game_id") REFERENCES "public"."games"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "game_matches_match_idx" ON "game_matches" USING btree ("match_id");--> statement-breakpoint
CREATE INDEX "guesses_fan_idx" ON "guesses" USING btree ("game_id","fan_id");