-- A locked match's guessed-score groups (for provisional points while it is live) are computed once and
-- kept on its game match, valid while no guess write follows (guess_writes): a status read no longer
-- groups a million guesses once per isolate and minute. Safe at any time: the groups start empty.
ALTER TABLE "game_matches" ADD COLUMN "guess_writes" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "game_matches" ADD COLUMN "guess_groups" jsonb;