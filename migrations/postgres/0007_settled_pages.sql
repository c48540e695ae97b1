CREATE TABLE "settled_pages" (
	"game_id" uuid NOT NULL,
	"match_id" text NOT NULL,
	"revision" integer NOT NULL,
	"after" text NOT NULL,
	CONSTRAINT "settled_pages_game_id_match_id_revision_after_pk" PRIMARY KEY("game_id","match_id","revision","after")
);
--> statement-breakpoint
ALTER TABLE "game_matches" ADD COLUMN "applied_home" smallint;--> statement-breakpoint
ALTER TABLE "game_matches" ADD COLUMN "applied_away" smallint;--> statement-breakpoint
-- Settled matches' points are in fan_totals already: their final score is the applied one. Run it with no
-- settlement in flight: a revision still settling loses the per-guess marks that told its scored guesses.
UPDATE "game_matches" SET "applied_home" = "final_home", "applied_away" = "final_away" WHERE "status" = 'settled';--> statement-breakpoint
ALTER TABLE "guesses" DROP COLUMN "points";--> statement-breakpoint
ALTER TABLE "guesses" DROP COLUMN "prev_points";--> statement-breakpoint
ALTER TABLE "guesses" DROP COLUMN "scored_revision";--> statement-breakpoint
-- Settlement no longer rewrites guesses (0006 left room for that): new pages are packed full again.
ALTER TABLE "guesses" SET (fillfactor = 100);