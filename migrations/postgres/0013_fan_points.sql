-- Each fan's settled points per game (fan_points), so that a settlement pass reads only its settling
-- matches' guesses: a match of a 64-match game no longer reads the other 63 matches' guesses. Rows are
-- filled here from the matches settled so far (at their applied scores); pass_seq 0 marks a pass begun
-- by the version before, which the new version replaces with a pass of its own when its next message
-- runs. Apply with the settlement queue's delivery paused (README: Deploy), so that no pass of the
-- version before ends between this backfill and the deploy. The guesses' primary key also carries the
-- guessed score (INCLUDE), so a pass walks a match's guesses from the key alone; on a large table build
-- that index CONCURRENTLY first, under the name below.
CREATE TABLE "fan_points" (
	"game_id" uuid NOT NULL,
	"fan_id" text NOT NULL,
	"points" integer NOT NULL,
	"pending" integer NOT NULL,
	"pending_seq" integer NOT NULL,
	CONSTRAINT "fan_points_game_id_fan_id_pk" PRIMARY KEY("game_id","fan_id")
);
--> statement-breakpoint
ALTER TABLE "games" ADD COLUMN "pass_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "games" ADD COLUMN "settled_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "fan_points" SET (fillfactor = 50);--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS "guesses_match_fan_covering" ON "guesses" USING btree ("game_id","match_id","fan_id") INCLUDE ("home","away");--> statement-breakpoint
ALTER TABLE "guesses" DROP CONSTRAINT "guesses_game_id_match_id_fan_id_pk";--> statement-breakpoint
ALTER TABLE "guesses" ADD CONSTRAINT "guesses_game_id_match_id_fan_id_pk" PRIMARY KEY USING INDEX "guesses_match_fan_covering";--> statement-breakpoint
INSERT INTO "fan_points" ("game_id", "fan_id", "points", "pending", "pending_seq")
SELECT p.game_id, p.fan_id, p.points, p.points, 0 FROM (
  SELECT g.game_id, g.fan_id, sum(CASE
      WHEN g.home = gm.applied_home AND g.away = gm.applied_away THEN ga.exact_points
      WHEN sign(g.home - g.away) = sign(gm.applied_home - gm.applied_away) THEN ga.outcome_points
      ELSE 0 END)::int AS points
  FROM "guesses" g
  JOIN "game_matches" gm ON gm.game_id = g.game_id AND gm.match_id = g.match_id
  JOIN "games" ga ON ga.id = g.game_id
  WHERE gm.applied_home IS NOT NULL AND gm.applied_away IS NOT NULL
  GROUP BY g.game_id, g.fan_id
) p;
