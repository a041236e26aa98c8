// Every page without a bundle of its own: the signed-in user's auction notices.
import { bindNotices } from "./notices.js";

bindNotices();
