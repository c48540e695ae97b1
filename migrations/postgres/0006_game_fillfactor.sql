-- Settlement rewrites every guess of a match (points, scored_revision) and every fan's total. With room
-- left in each page those updates stay in the page (HOT: no new index entries, no table extension), which
-- halves a settlement page's cost and lets parallel chains not queue on the table's extension lock.
-- Applies to pages written from now on.
ALTER TABLE "guesses" SET (fillfactor = 50);--> statement-breakpoint
ALTER TABLE "fan_totals" SET (fillfactor = 50);
