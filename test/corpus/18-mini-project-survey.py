# A mini project from start to finish: a generated survey saved to Excel, cleaned, explored, modelled and reported.

# %% Setup
%matplotlib inline
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import seaborn as sns
sns.set_theme(style="ticks")
pd.set_option("display.max_columns", 12)
pd.set_option("display.precision", 2)

# %% Generate the raw survey, with the usual problems (typos, blanks, outliers)
rng = np.random.default_rng(2025)
n = 250
raw = pd.DataFrame({
    "respondent": [f"R{i:03d}" for i in range(n)],
    "department": rng.choice(["Sales", "sales ", "IT", "HR", "Finance", "it"], n),
    "years": rng.integers(0, 30, n).astype(float),
    "hours_per_week": rng.normal(40, 5, n).round(1),
    "satisfaction": rng.integers(1, 6, n).astype(float),
    "remote_days": rng.integers(0, 6, n),
})
raw.loc[rng.choice(n, 12, replace=False), "satisfaction"] = np.nan
raw.loc[rng.choice(n, 5, replace=False), "hours_per_week"] = 400.0
raw.to_excel("survey_raw.xlsx", index=False, sheet_name="responses")
print("saved", len(raw), "rows")
# expect: text saved 250 rows

# %% Load it back as a colleague would
survey = pd.read_excel("survey_raw.xlsx", sheet_name="responses")
survey.info()
# expect: text RangeIndex: 250 entries

# %% Department names need cleaning
print(sorted(survey["department"].unique()))
survey["department"] = survey["department"].str.strip().str.title().replace({"It": "IT", "Hr": "HR"})
print(sorted(survey["department"].unique()))
# expect: text \['Finance', 'HR', 'IT', 'Sales'\]

# %% Outliers: nobody works 400 hours a week
too_many = survey["hours_per_week"] > 80
print(too_many.sum())
survey.loc[too_many, "hours_per_week"] = np.nan
# expect: text ^5$

# %% Missing values per column after cleaning
survey.isna().sum()[lambda s: s > 0]
# expect: text satisfaction\s+12
# expect: text hours_per_week\s+5

# %% Impute with the department median
survey["hours_per_week"] = survey.groupby("department")["hours_per_week"].transform(lambda s: s.fillna(s.median()))
survey = survey.dropna(subset=["satisfaction"])
print(len(survey), survey.isna().sum().sum())
# expect: text ^238 0$

# %% The display precision option applies to tables
survey.describe()
# expect: html

# %% Distributions at a glance: DataFrame.hist makes one figure with a grid
survey.hist(figsize=(9, 5), bins=15)
plt.tight_layout()
# expect: images 1

# %% A scatter matrix from pandas
pd.plotting.scatter_matrix(survey[["years", "hours_per_week", "satisfaction"]], figsize=(6, 6), alpha=0.4)
# expect: images 1

# %% Line plots of several columns in separate panels
survey.sort_values("years")[["hours_per_week", "remote_days"]].reset_index(drop=True).plot(subplots=True, figsize=(8, 4))
# expect: images 1

# %% Satisfaction by department
summary = survey.groupby("department").agg(n=("respondent", "size"), satisfaction=("satisfaction", "mean"), remote=("remote_days", "mean"))
summary
# expect: text Finance

# %% The same as a seaborn bar chart plus a count plot, shown one after the other with plt.show()
sns.barplot(data=survey, x="department", y="satisfaction", order=summary.index)
plt.show()
sns.countplot(data=survey, x="remote_days", hue="department")
plt.show()
# expect: images 2

# %% A function that builds and returns a figure
def dept_figure(frame, dept):
    fig, ax = plt.subplots(figsize=(4, 3))
    sub = frame[frame["department"] == dept]
    ax.scatter(sub["years"], sub["hours_per_week"], s=12)
    ax.set_title(dept)
    return fig

figs = [dept_figure(survey, d) for d in summary.index]
print(len(figs), "figures built")
# expect: images 4
# expect: text 4 figures built

# %% Closing some figures before the end of the cell
for d in ["IT", "HR"]:
    dept_figure(survey, d)
plt.close("all")
dept_figure(survey, "Sales")
# expect: images 1

# %% plt.show() when nothing is open shows nothing
plt.show()
# expect: images 0

# %% Does satisfaction depend on remote days? An OLS with a formula
import statsmodels.formula.api as smf
fit = smf.ols("satisfaction ~ remote_days + years + C(department)", data=survey).fit()
print(fit.nobs, len(fit.params))
# expect: text ^238\.0 6$

# %% A random forest classifier of high satisfaction (generated data: no real signal)
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score
features = pd.get_dummies(survey[["department", "years", "hours_per_week", "remote_days"]], columns=["department"])
target = (survey["satisfaction"] >= 4).astype(int)
cv_acc = cross_val_score(RandomForestClassifier(n_estimators=25, max_depth=4, random_state=0), features, target, cv=4)
print(features.shape, len(cv_acc), 0.0 <= cv_acc.mean() <= 1.0)
# expect: text \(238, 7\) 4 True

# %% Write a small HTML report and a clean CSV
summary.round(2).to_html("survey_summary.html")
survey.to_csv("survey_clean.csv", index=False)
import os
print(sorted(f for f in os.listdir(".") if f.startswith("survey_")))
# expect: text \['survey_clean\.csv', 'survey_raw\.xlsx', 'survey_summary\.html'\]

# %% Show the report in the notebook
from IPython.display import HTML
with open("survey_summary.html") as fh:
    report = fh.read()
HTML("<h4>Survey summary</h4>" + report)
# expect: html
# expect: text Survey summary

# %% A list of DataFrames in the namespace
%whos DataFrame
# expect: text survey
# expect: text summary

# %% Options reset
pd.reset_option("display.precision")
pd.get_option("display.precision")
# expect: text 6
