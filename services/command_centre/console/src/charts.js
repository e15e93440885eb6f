// ECharts, only the parts the console draws with (tree-shaken), rendered as SVG: sharp on any
// screen and printable. The county map is the policy's polygon (no tiles: the console is offline).
import * as echarts from "echarts/core";
import { BarChart, LinesChart, ScatterChart } from "echarts/charts";
import { AriaComponent, GeoComponent, GridComponent, MarkLineComponent, TooltipComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";
import { get } from "./api.js";

echarts.use([BarChart, LinesChart, ScatterChart, AriaComponent, GeoComponent, GridComponent, MarkLineComponent, TooltipComponent, SVGRenderer]);

let geometry = null;
export async function countyMap() {
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
