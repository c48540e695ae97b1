-- Every guess's match and score in the fan index's key: a settlement page reads its fans' guesses of all
-- the game's matches from the index alone. On a large table build the new index CONCURRENTLY first.
DROP INDEX "guesses_fan_idx";--> statement-breakpoint
CREATE INDEX "guesses_fan_idx" ON "guesses" USING btree ("game_id","fan_id","match_id","home","away");
