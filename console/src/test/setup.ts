import "@testing-library/jest-dom/vitest";

// jsdom lacks what antd's responsive and scrolling parts ask for.
Object.defineProperty(window, "matchMedia", {
  writable: true,
  value: (query: string) => ({
    matches: false, media: query, onchange: null,
    addListener: () => {}, removeListener: () => {}, addEventListener: () => {}, removeEventListener: () => {},
    dispatchEvent: () => false,
  }),
});
window.getComputedStyle = ((get) => (el: Element) => get(el))(window.getComputedStyle);

import { afterEach } from "vitest";
import { cleanup, configure } from "@testing-library/react";

afterEach(cleanup); // vitest runs without globals, so Testing Library cannot register this itself
configure({ asyncUtilTimeout: 20_000 }); // antd forms validate asynchronously; a busy CI machine is slow
