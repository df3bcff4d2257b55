/* The mall's own home content (banners, collections of any merchant's products) and the curated hot words. */
import HomeContent from "../HomeContent";

export default function MallHome() {
  return <HomeContent platform />;
}
