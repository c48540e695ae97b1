// Contract additions that issue 10 §1 brings (written in parallel in shared/sports). The adapters already
// know how to emit them; they stay off until the contract accepts them, so every event emitted today
// passes parseEvent. Switch on after the merge that adds:
//   cs2 `map_restart` (payload {}): everything of the current map before it stops counting;
//   cs2 `map_start` fields `maxRounds` and `overtimeMaxRounds` (0 = no overtime): the server's own format,
//     so the reducer's half-time and overtime sides follow MR15 or MR12 instead of assuming MR12;
//   football `var_review` / `var_decision` (Wyscout's public data carries no VAR events, so nothing emits them yet).
export const EMIT_PENDING_CONTRACT = false;
