-- Each game match keeps its count of guesses, moved by the guess writes: the settlement status read and
-- the opening of a settlement no longer count a match's guesses (a scan of up to a million rows each).
ALTER TABLE "game_matches" ADD COLUMN "guess_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- The guesses written before this column. Run it with no guesses being written (they lock per match).
UPDATE "game_matches" gm SET "guess_count" = (
  SELECT count(*) FROM "guesses" g WHERE g."game_id" = gm."game_id" AND g."match_id" = gm."match_id"
);
