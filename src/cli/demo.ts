/** The seed's incident example, end to end: CSV → pandas summary → bar chart → PDF report. */
export const DEMO_STEPS: { title: string; tool: 'python' | 'pdf'; code: string }[] = [
  {
    title: 'Generate an incidents CSV',
    tool: 'python',
    code: `import numpy as np, pandas as pd
rng = np.random.default_rng(7)
n = 90
df = pd.DataFrame({
    "id": range(1, n + 1),
    "category": rng.choice(["Network", "Database", "Compute", "Storage", "Auth"], n, p=[.3, .25, .2, .15, .1]),
    "severity": rng.choice(["P1", "P2", "P3", "P4"], n, p=[.06, .14, .3, .5]),
    "service": rng.choice(["api", "web", "billing", "search", "auth"], n),
    "resolution_time": rng.gamma(2.0, 2.1, n).round(1),
})
df.to_csv("incidents.csv", index=False)
print(f"wrote incidents.csv with {len(df)} incidents")
df.head()`,
  },
  {
    title: 'Summarise by category with pandas',
    tool: 'python',
    code: `summary = df.groupby("category").agg(count=("id", "count"), avg_resolution_hours=("resolution_time", "mean")).round(2).sort_values("count", ascending=False)
summary.to_csv("incident_summary.csv")
summary`,
  },
  {
    title: 'Draw a bar chart',
    tool: 'python',
    code: `import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(8, 4.5))
ax.bar(summary.index, summary["count"], color="#3b82f6")
ax.set_title("Incidents by category")
ax.set_ylabel("Incidents")
fig.tight_layout()
fig.savefig("incidents_by_category.png", dpi=120)`,
  },
  {
    title: 'Write a PDF report',
    tool: 'pdf',
    code: `from reportlab.lib.pagesizes import A4
from reportlab.platypus import SimpleDocTemplate, Paragraph, Spacer, Table, Image
from reportlab.lib.styles import getSampleStyleSheet
styles = getSampleStyleSheet()
doc = SimpleDocTemplate("weekly_report.pdf", pagesize=A4)
rows = [["Category", "Incidents", "Avg resolution (h)"]] + [[c, int(r["count"]), f'{r["avg_resolution_hours"]:.1f}'] for c, r in summary.iterrows()]
doc.build([
    Paragraph("Weekly Incident Report", styles["Title"]),
    Paragraph(f"Total incidents: {len(df)} — P1: {(df.severity == 'P1').sum()}", styles["Normal"]),
    Spacer(1, 12), Table(rows), Spacer(1, 12),
    Image("incidents_by_category.png", width=440, height=248),
])`,
  },
];
