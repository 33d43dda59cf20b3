# Statistical graphics with seaborn, on the iris data bundled with scikit-learn and on generated data.

# %%
%matplotlib inline
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import seaborn as sns
from sklearn.datasets import load_iris
sns.__version__
# expect: images 0

# %% The iris measurements as a DataFrame
bunch = load_iris(as_frame=True)
iris = bunch.frame.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
iris["species"] = pd.Categorical.from_codes(bunch.target, bunch.target_names)
iris.groupby("species", observed=True)["petal_length"].mean().round(3)
# expect: text setosa\s+1\.462
# expect: text virginica\s+5\.552

# %% The seaborn theme
sns.set_theme(style="whitegrid", palette="deep")
sns.histplot(data=iris, x="sepal_length", hue="species", kde=True)
# expect: images 1

# %% A scatter plot with hue and size
sns.scatterplot(data=iris, x="petal_length", y="petal_width", hue="species", size="sepal_width")
# expect: images 1

# %% Box and violin plots side by side
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
sns.boxplot(data=iris, x="species", y="sepal_width", ax=axes[0])
sns.violinplot(data=iris, x="species", y="petal_length", ax=axes[1], inner="quartile")
# expect: images 1

# %% A correlation heat map
corr = iris.drop(columns="species").corr()
sns.heatmap(corr, annot=True, fmt=".2f", cmap="vlag", vmin=-1, vmax=1)
print(round(corr.loc["petal_length", "petal_width"], 3))
# expect: images 1
# expect: text 0\.963

# %% Figure-level functions make their own figure: relplot
sns.relplot(data=iris, x="sepal_length", y="sepal_width", col="species", height=3)
# expect: images 1
# expect: text FacetGrid

# %% A pair plot of three measurements
sns.pairplot(iris, vars=["sepal_length", "petal_length", "petal_width"], hue="species", height=1.8)
# expect: images 1

# %% Regression lines with lmplot
sns.lmplot(data=iris, x="petal_length", y="petal_width", hue="species", height=3.5, aspect=1.3)
# expect: images 1

# %% A joint plot
sns.jointplot(data=iris, x="sepal_length", y="petal_length", kind="hex", height=4)
# expect: images 1

# %% Generated data: tips in a small restaurant
rng = np.random.default_rng(11)
n = 200
bills = rng.gamma(4, 5, n).round(2)
tips = pd.DataFrame({
    "total_bill": bills,
    "tip": (bills * rng.normal(0.15, 0.04, n)).clip(0.5).round(2),
    "day": rng.choice(["Thu", "Fri", "Sat", "Sun"], n),
    "time": rng.choice(["Lunch", "Dinner"], n, p=[0.3, 0.7]),
    "smoker": rng.choice(["yes", "no"], n, p=[0.3, 0.7]),
})
tips["day"] = pd.Categorical(tips["day"], ["Thu", "Fri", "Sat", "Sun"], ordered=True)
tips.head()
# expect: html

# %% Counts and bars with confidence intervals
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
sns.countplot(data=tips, x="day", hue="time", ax=axes[0])
sns.barplot(data=tips, x="day", y="tip", errorbar=("ci", 90), ax=axes[1])
fig.tight_layout()
# expect: images 1

# %% catplot with columns
sns.catplot(data=tips, x="day", y="total_bill", col="time", kind="strip", height=3)
# expect: images 1

# %% A FacetGrid mapped by hand
g = sns.FacetGrid(tips, row="smoker", col="time", height=2.2, aspect=1.4)
g.map_dataframe(sns.scatterplot, x="total_bill", y="tip")
g.set_axis_labels("bill", "tip")
# expect: images 1

# %% A regression plot on an axes, with the slope computed by NumPy
slope, intercept = np.polyfit(tips["total_bill"], tips["tip"], 1)
ax = sns.regplot(data=tips, x="total_bill", y="tip", scatter_kws={"alpha": 0.5})
ax.set_title(f"tip ≈ {slope:.3f} × bill + {intercept:.2f}")
print(0.10 < slope < 0.20)
# expect: images 1
# expect: text True

# %% ECDF and KDE plots in two figures
sns.ecdfplot(data=tips, x="tip", hue="time")
plt.figure()
sns.kdeplot(data=tips, x="total_bill", y="tip", fill=True)
# expect: images 2

# %% Changing the theme and the context
sns.set_theme(style="darkgrid", context="talk", palette="muted")
sns.lineplot(data=tips.sort_values("total_bill"), x="total_bill", y="tip", hue="time")
# expect: images 1

# %% A color palette is displayed as swatches
sns.color_palette("husl", 6)
# expect: html

# %% Back to matplotlib's defaults
sns.reset_defaults()
plt.plot([1, 2, 3])
# expect: images 1
