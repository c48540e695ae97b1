-- A fan's points are computed from the guesses and the matches' final scores (each settlement page
-- computes its fans' totals again), so no running totals or page marks are kept. Safe with settlement in
-- flight: a page of the previous deploy that fails on the dropped tables is retried by the new code.
DROP TABLE "fan_totals" CASCADE;--> statement-breakpoint
DROP TABLE "settled_pages" CASCADE;
