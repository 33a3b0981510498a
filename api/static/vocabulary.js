// What the dashboard shares with the server: the home time zone and the meter categories.
// The category table is core/categories.py, served by GET /api/v1/categories; it is loaded once
// after sign-in (loadCategories) and read synchronously afterwards.

// Sites keep China's time unless they name another zone (core/timebase.py HOME_TIMEZONE).
export const HOME_TZ = "Asia/Shanghai";

let table = [];

export async function loadCategories(call) {
  table = (await call("/categories")).categories;
  return table;
}

// The categories alerts can name, for the inbox filter (PV and gas are never scored).
export function scoredCategories() {
  return table.filter((c) => c.scored).map((c) => c.code);
}

// The label in ``lang`` ("zh" or "en"); the code itself for a category the server did not list.
export function categoryLabel(code, lang) {
  const row = table.find((c) => c.code === code);
  return row ? row.labels[lang] || row.labels.en : code;
}
