// Globals the SDE Lab kernel gives every notebook cell (added by the TypeScript plugin to
// projects that contain cells).
import type { display as labDisplay } from "./index";

declare global {
  const display: typeof labDisplay;
}
