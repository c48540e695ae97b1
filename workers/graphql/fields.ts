// Which REST read routes GraphQL serves, and under which root field names. Add a route here and it is in
// the schema (types and arguments come from its declaration); then `npm run graphql:schema`.
import { metricsRoute, predictionsRoute, roundsRoute, timelineRoute } from "../api/analytics";
import { getMatchRoute, listMatchesRoute, matchStateRoute } from "../api/matches";
import { listPlayersRoute } from "../api/players";
import { getTeamRoute, listTeamsRoute } from "../api/teams";
import { fanRoute, getGameRoute, leaderboardRoute, settlementRoute } from "../games/routes";
import type { RestRoute, RootField } from "./contract";

const field = (name: string, route: RestRoute, typeName: string): RootField => ({
  name,
  route,
  typeName,
  // A route that answers 404 for a missing resource (or another tenant's) gives null in GraphQL.
  notFoundIsNull: 404 in route.responses,
});

export const rootFields: readonly RootField[] = [
  field("matches", listMatchesRoute, "MatchPage"),
  field("match", getMatchRoute, "MatchDetail"),
  field("liveState", matchStateRoute, "LiveState"),
  field("metrics", metricsRoute, "MatchMetrics"),
  field("timeline", timelineRoute, "MatchTimeline"),
  field("rounds", roundsRoute, "MatchRounds"),
  field("predictions", predictionsRoute, "PredictionPage"),
  field("teams", listTeamsRoute, "TeamPage"),
  field("team", getTeamRoute, "Team"),
  field("players", listPlayersRoute, "PlayerPage"),
  field("game", getGameRoute, "Game"),
  field("leaderboard", leaderboardRoute, "Leaderboard"),
  field("fan", fanRoute, "FanStanding"),
  field("settlement", settlementRoute, "Settlement"),
];
