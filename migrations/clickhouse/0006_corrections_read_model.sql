-- Corrections (issue 10 §1): the event log keeps every event as it arrived, `retract` and `amend` rows
-- included; the analytics read the corrected truth through one subquery (workers/analytics/
-- corrected-events.ts: dedup by event_id, anti-join on retracted ids, amended fields merged in source
-- order), with no FINAL and no table change. The per-round view of 0004 read the raw log and could not
-- skip retracted kills, amended winners or rounds voided by a map restart: its query now lives beside the
-- others (workers/analytics/cs2-rounds.ts), so the view goes.
DROP VIEW IF EXISTS cs2_rounds;
