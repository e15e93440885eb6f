// Hash routes: the service answers / alone, so a reload of any page lands back in the console.
import { createRouter, createWebHashHistory } from "vue-router";
import BoardView from "./views/BoardView.vue";
import CaseloadView from "./views/CaseloadView.vue";
import PersonView from "./views/PersonView.vue";
import MapView from "./views/MapView.vue";
import HandoverView from "./views/HandoverView.vue";
import KeyPersonsView from "./views/KeyPersonsView.vue";
import StatsView from "./views/StatsView.vue";
import NoticesView from "./views/NoticesView.vue";
import TeamView from "./views/TeamView.vue";
import SocialForcesView from "./views/SocialForcesView.vue";
import VisitsView from "./views/VisitsView.vue";
import { session } from "./session";

const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: "/", redirect: "/board" },
    { path: "/board", name: "board", component: BoardView },
    { path: "/persons", name: "caseload", component: CaseloadView },
    { path: "/persons/:id/:tab?", name: "person", component: PersonView, props: true },
    { path: "/map/:id?", name: "map", component: MapView, props: true },
    { path: "/handover", name: "handover", component: HandoverView },
    { path: "/key-persons", name: "keyPersons", component: KeyPersonsView },
    { path: "/stats", name: "stats", component: StatsView },
    { path: "/notices", name: "notices", component: NoticesView },
    { path: "/visits", name: "visits", component: VisitsView },
    { path: "/social-forces", name: "socialForces", component: SocialForcesView },
    { path: "/team/:id?", name: "team", component: TeamView, props: true },
    { path: "/:rest(.*)", redirect: "/board" },
  ],
});

// 协矫通: a team member's account has the team's page alone (the API refuses every other one).
router.beforeEach((to) => {
  if (session.me?.team_scoped && to.name !== "team") return { name: "team" };
  if (session.me && !session.me.team_scoped && to.name === "team") return { name: "board" };
  return true;
});

export default router;
