// The auctions' pages (the index and one auction): live state and countdowns, then the notices.
import { bindAuctions } from "./auctions.js";
import { bindNotices } from "./notices.js";

bindAuctions();
bindNotices();
