#!/usr/bin/env bash
# Refresh the browser assets the API serves itself (api/static/vendor/): Swagger UI and ReDoc for
# /docs and /redoc, Chart.js for the dashboard. They come from the upstream npm packages, with
# their licences, so nothing is loaded from a CDN. Run it to upgrade; the output is committed.
set -euo pipefail
cd "$(dirname "$0")/.."

SWAGGER=${SWAGGER:-swagger-ui-dist@5.36.0}
REDOC=${REDOC:-redoc@2.5.4}
CHARTJS=${CHARTJS:-chart.js@4.6.2}

work=.cache/npm-vendor
out=api/static/vendor
rm -rf "$work" && mkdir -p "$work" "$out"
( cd "$work" && npm pack --silent --cache ../npm-cache "$SWAGGER" "$REDOC" "$CHARTJS" >/dev/null )
for tgz in "$work"/*.tgz; do
  mkdir -p "${tgz%.tgz}" && tar xzf "$tgz" -C "${tgz%.tgz}"
done
pkg() { echo "$work"/"$1"-[0-9]*/package; }

sw=$(pkg swagger-ui-dist) rd=$(pkg redoc) cj=$(pkg chart.js)
mkdir -p "$out/swagger-ui" "$out/redoc" "$out/chartjs"
cp "$sw/swagger-ui-bundle.js" "$sw/swagger-ui.css" "$sw/favicon-32x32.png" "$out/swagger-ui/"
cp "$sw/LICENSE" "$out/swagger-ui/LICENSE"
cp "$sw/NOTICE" "$out/swagger-ui/NOTICE"
cp "$sw/swagger-ui-bundle.js.LICENSE.txt" "$out/swagger-ui/"
cp "$rd/bundles/redoc.standalone.js" "$rd/bundles/redoc.standalone.js.LICENSE.txt" "$out/redoc/"
cp "$rd/LICENSE" "$out/redoc/LICENSE"
cp "$cj/dist/chart.umd.js" "$out/chartjs/"
cp "$cj/LICENSE.md" "$out/chartjs/LICENSE.md"
# source maps are left out: they would double the size and the files point at them
sed -i '/^\/\/# sourceMappingURL=/d' "$out"/swagger-ui/*.js "$out"/redoc/*.js "$out"/chartjs/*.js
sed -i 's#/\*\# sourceMappingURL=[^*]*\*/##' "$out/swagger-ui/swagger-ui.css"
# ReDoc's sidebar shows a logo fetched from its CDN at run time: an empty inline SVG instead
logo='https://cdn.redoc.ly/redoc/logo-mini.svg'
grep -q "$logo" "$out/redoc/redoc.standalone.js"
sed -i "s#$logo#data:image/svg+xml,%3Csvg%20xmlns=%22http://www.w3.org/2000/svg%22/%3E#" "$out/redoc/redoc.standalone.js"

{
  echo "# Vendored browser assets (written by scripts/vendor_assets.sh; do not edit)"
  echo
  for p in "$sw" "$rd" "$cj"; do
    node -e 'const p=require(process.argv[1]); console.log(`${p.name} ${p.version} (${p.license})`)' "$(realpath "$p/package.json")"
  done
  echo "patched: redoc.standalone.js's CDN logo URL -> an empty inline SVG"
  echo
  ( cd "$out" && find . -type f ! -name VERSIONS.txt | sort | xargs sha256sum )
} > "$out/VERSIONS.txt"
cat "$out/VERSIONS.txt"
