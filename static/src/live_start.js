// Imported first by the live pages' bundles: the page's socket opens and its live tables bind
// before the page's own code runs (which reads the socket's status and subscribes beside them).
import { bindLivePages } from "./live_pages.js";

bindLivePages();
