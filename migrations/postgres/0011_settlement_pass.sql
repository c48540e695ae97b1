-- A game settles in passes: one walk of its fans at a time, over every match settling when the pass
-- began (ten matches ending together are one walk, not ten). The game row holds the pass in progress,
-- and a game match the pass that settles its current revision. Safe with settlement in flight: a page
-- message of the version before starts its game's pass.
ALTER TABLE "game_matches" ADD COLUMN "pass_id" uuid;--> statement-breakpoint
ALTER TABLE "games" ADD COLUMN "pass_id" uuid;--> statement-breakpoint
ALTER TABLE "games" ADD COLUMN "pass_beat" timestamp with time zone;