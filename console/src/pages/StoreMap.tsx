/* A store's place on a map: a click or a dragged marker sets the coordinates, typed coordinates move the
 * marker. Coordinates are WGS-84 (what the catalog stores and the tile servers of OpenStreetMap draw in).
 * Tiles come from the URL template the gateway writes into index.html (MALL_CONSOLE_MAP_TILES, whose host its
 * Content-Security-Policy allows for images); without tiles (offline) the map still takes clicks. */
import { useEffect, useMemo } from "react";
import L from "leaflet";
import { MapContainer, Marker, TileLayer, useMap, useMapEvents } from "react-leaflet";
import "leaflet/dist/leaflet.css";
import "./StoreMap.css";

const DEFAULT_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
const DEFAULT_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors';
const HANGZHOU: [number, number] = [30.2741, 120.1551]; // where a new store's map opens

function meta(name: string, fallback: string): string {
  const value = document.querySelector(`meta[name="${name}"]`)?.getAttribute("content") ?? "";
  return value && !value.startsWith("__") ? value : fallback; // "__…__": not served by the gateway (vite dev)
}

// A marker drawn by CSS (StoreMap.css): Leaflet's default icon is an image whose path bundlers lose.
const PIN = L.divIcon({ className: "store-pin", iconSize: [18, 18], iconAnchor: [9, 9] });

const round = (n: number) => Math.round(n * 1e6) / 1e6; // ~0.1 m, what the form's inputs show

export interface LatLng { lat: number; lng: number }

export default function StoreMap({ value, onPick }: { value: Partial<LatLng>; onPick: (at: LatLng) => void }) {
  const at = typeof value.lat === "number" && typeof value.lng === "number" ? { lat: value.lat, lng: value.lng } : null;
  const tiles = useMemo(() => ({ url: meta("map-tiles", DEFAULT_TILES), attribution: meta("map-attribution", DEFAULT_ATTRIBUTION) }), []);
  const pick = (lat: number, lng: number) => onPick({ lat: round(lat), lng: round(L.Util.wrapNum(lng, [-180, 180], true)) });
  return (
    <div data-testid="store-map" data-lat={at?.lat ?? ""} data-lng={at?.lng ?? ""}>
      <MapContainer center={at ?? HANGZHOU} zoom={at ? 16 : 11} className="store-map">
        <TileLayer url={tiles.url} attribution={tiles.attribution} />
        <Picker onPick={pick} />
        {at && <Follow at={at} />}
        {at && (
          <Marker
            position={at}
            icon={PIN}
            draggable
            eventHandlers={{ dragend: (e) => { const p = (e.target as L.Marker).getLatLng(); pick(p.lat, p.lng); } }}
          />
        )}
      </MapContainer>
    </div>
  );
}

function Picker({ onPick }: { onPick: (lat: number, lng: number) => void }) {
  useMapEvents({ click: (e) => onPick(e.latlng.lat, e.latlng.lng) });
  return null;
}

// Typed coordinates off the visible part move the view to them (a click inside it leaves the view alone).
function Follow({ at }: { at: LatLng }) {
  const map = useMap();
  useEffect(() => {
    if (!map.getBounds().contains(at)) map.setView(at, Math.max(map.getZoom(), 15));
  }, [map, at.lat, at.lng]); // eslint-disable-line react-hooks/exhaustive-deps
  return null;
}
