// ECharts, only the parts the console draws with (tree-shaken), rendered as SVG: sharp on any
// screen and printable. The county map is the policy's polygon (no tiles: the console is offline).
import * as echarts from "echarts/core";
import { BarChart, LinesChart, ScatterChart } from "echarts/charts";
import { AriaComponent, GeoComponent, GridComponent, MarkLineComponent, TooltipComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";
import { get, type Loose } from "./api";

echarts.use([BarChart, LinesChart, ScatterChart, AriaComponent, GeoComponent, GridComponent, MarkLineComponent, TooltipComponent, SVGRenderer]);

let geometry: Loose = null;
export async function countyMap(): Promise<Loose> {
  if (!geometry) {
    geometry = await get("/api/v1/map/geometry");
    echarts.registerMap("county", {
      type: "FeatureCollection",
      features: [{ type: "Feature", properties: { name: geometry.county.name_zh }, geometry: { type: "Polygon", coordinates: [geometry.county.polygon] } }],
    });
  }
  return geometry;
}

export { echarts };
