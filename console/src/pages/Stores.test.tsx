import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import Stores from "./Stores";
import { answer, gateway, renderPage, sent } from "../test/render";

// jsdom lays nothing out: give the map a size so Leaflet can turn pixels into coordinates and back.
const size = { clientWidth: 400, clientHeight: 300 };
const saved = Object.fromEntries(Object.keys(size).map((k) => [k, Object.getOwnPropertyDescriptor(HTMLElement.prototype, k)]));
beforeAll(() => {
  for (const [k, v] of Object.entries(size)) Object.defineProperty(HTMLElement.prototype, k, { configurable: true, get: () => v });
});
afterAll(() => {
  for (const [k, d] of Object.entries(saved)) if (d) Object.defineProperty(HTMLElement.prototype, k, d);
});
afterEach(() => vi.unstubAllGlobals());

const NO_STORES = {
  "GET /api/merchant/stores": () => answer(200, { items: [] }),
  "GET /api/merchant/pickup-stores": () => answer(200, { items: [] }),
};

const pin = () => document.querySelector<HTMLElement>(".store-pin");
const where = (el: HTMLElement) => {
  const m = /translate3d\((-?[\d.]+)px, (-?[\d.]+)px/.exec(el.style.transform);
  return m ? { x: Number(m[1]), y: Number(m[2]) } : { x: parseFloat(el.style.left), y: parseFloat(el.style.top) };
};

describe("Stores' map", { timeout: 60_000 }, () => {
  it("moves the marker to typed coordinates", async () => {
    gateway({ ...NO_STORES });
    renderPage(<Stores />);
    fireEvent.click(await screen.findByTestId("store-new"));
    await screen.findByTestId("store-map");
    expect(pin()).toBeNull(); // no coordinates yet, no marker
    fireEvent.change(screen.getByTestId("store-lat"), { target: { value: "30.25" } });
    fireEvent.change(screen.getByTestId("store-lng"), { target: { value: "120.16" } });
    await waitFor(() => expect(pin()).not.toBeNull());
    const first = where(pin()!);
    fireEvent.change(screen.getByTestId("store-lat"), { target: { value: "30.251" } }); // ~110 m north
    await waitFor(() => expect(where(pin()!).y).toBeLessThan(first.y));
    expect(where(pin()!).x).toBe(first.x);
  });

  it("takes a click on the map as the store's coordinates", async () => {
    const fetch = gateway({
      ...NO_STORES,
      "PUT /api/merchant/stores/xihu": () => answer(200, {}),
    });
    renderPage(<Stores />);
    fireEvent.click(await screen.findByTestId("store-new"));
    const map = (await screen.findByTestId("store-map")).querySelector<HTMLElement>(".leaflet-container")!;
    // The middle of the map (its box starts at 0,0 in jsdom): where a new store's map opens, Hangzhou
    // (to a pixel: ~100 m at the opening zoom).
    fireEvent.click(map, { clientX: 200, clientY: 150 });
    const typed = (id: string) => Number((screen.getByTestId(id) as HTMLInputElement).value);
    await waitFor(() => expect(typed("store-lat")).toBeCloseTo(30.2741, 2));
    const [lat, lng] = [typed("store-lat"), typed("store-lng")];
    expect(lng).toBeCloseTo(120.1551, 2);
    expect(pin()).not.toBeNull();
    fireEvent.change(screen.getByLabelText("Store id"), { target: { value: "xihu" } });
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "西湖店" } });
    fireEvent.change(screen.getByLabelText("Address"), { target: { value: "杭州市西湖区" } });
    fireEvent.click(screen.getByRole("button", { name: "OK" }));
    await waitFor(() => expect(sent(fetch, "PUT /api/merchant/stores/xihu")).toEqual([
      { name: "西湖店", address: "杭州市西湖区", lat, lng, active: true },
    ]));
  });

  it("opens an edited store's map at its coordinates, with its marker", async () => {
    const fetch = gateway({
      "GET /api/merchant/stores": () => answer(200, { items: [
        { id: "xihu", merchant_id: "m1", name: "西湖店", address: "杭州市西湖区", lat: 30.25, lng: 120.16, active: false },
      ] }),
      "GET /api/merchant/pickup-stores": () => answer(200, { items: [] }),
      "PUT /api/merchant/stores/xihu": () => answer(200, {}),
    });
    renderPage(<Stores />);
    fireEvent.click(await screen.findByTestId("store-edit-xihu"));
    const map = await screen.findByTestId("store-map");
    expect(map.dataset.lat).toBe("30.25");
    expect(map.dataset.lng).toBe("120.16");
    await waitFor(() => expect(pin()).not.toBeNull());
    // the marker is inside the 400 × 300 map: the view opened on the store (at this zoom the city the map
    // opens on for a new store lies thousands of pixels away)
    const at = where(pin()!);
    expect(at.x).toBeGreaterThanOrEqual(0);
    expect(at.x).toBeLessThanOrEqual(400);
    expect(at.y).toBeGreaterThanOrEqual(0);
    expect(at.y).toBeLessThanOrEqual(300);
    fireEvent.click(screen.getByRole("button", { name: "OK" }));
    await waitFor(() => expect(sent(fetch, "PUT /api/merchant/stores/xihu")).toEqual([
      { name: "西湖店", address: "杭州市西湖区", lat: 30.25, lng: 120.16, active: false },
    ]));
  });
});
