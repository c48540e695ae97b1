// Test data: a room record as stored before records carried a version.
/** A record exactly as the room wrote it before records had a version (JSON of the old RoomRecord). */
export const versionOneRecord = {
  matchId: "old-1",
  sport: "football",
  seq: 2,
  lastSeq: 2,
  eventsApplied: 2,
  lateEvents: 0,
  sequencing: { nextSeq: 3, gaps: [] },
  updatedAt: "2026-03-01T15:00:02.000Z",
  live: { status: "live", period: 1, minute: 12, score: [1, 0], lastEvents: [] },
  prediction: { pTeam1: 0.6, pDraw: 0.25, pTeam2: 0.15, modelVersion: "x", at: "2026-03-01T15:00:02.000Z" },
  strength: { rating: [1600, 1500], neutral: true },
};
