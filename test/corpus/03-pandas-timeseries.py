# Time series with pandas: a datetime index, resampling, rolling windows, shifts and plots.

# %%
%matplotlib inline
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
plt.style.use("ggplot")
# expect: images 0

# %% Daily temperatures for two years: seasonal curve plus noise
rng = np.random.default_rng(7)
days = pd.date_range("2022-01-01", "2023-12-31", freq="D")
season = 12 + 10 * np.sin(2 * np.pi * (days.dayofyear - 100) / 365.25)
weather = pd.DataFrame({
    "temp": season + rng.normal(0, 2.5, len(days)),
    "rain_mm": rng.gamma(0.6, 4.0, len(days)).round(1),
}, index=days)
weather.index.name = "date"
print(len(weather), weather.index.min().date(), weather.index.max().date())
# expect: text 730 2022-01-01 2023-12-31

# %% Slicing by date strings
weather.loc["2023-02-10":"2023-02-14"]
# expect: text 2023-02-12

# %% Monthly means (month-end labels)
monthly = weather.resample("ME").agg({"temp": "mean", "rain_mm": "sum"})
print(monthly.shape)
monthly.head()
# expect: text \(24, 2\)
# expect: text 2022-01-31

# %% Resampling a known series: weekly sums of 1, 2, 3, ...
counts = pd.Series(np.arange(1, 15), index=pd.date_range("2024-01-01", periods=14, freq="D"))
counts.resample("W-SUN").sum()
# expect: text 2024-01-07\s+28
# expect: text 2024-01-14\s+77

# %% Rolling means smooth the noise
weather["temp_30d"] = weather["temp"].rolling(30, center=True, min_periods=15).mean()
ax = weather[["temp", "temp_30d"]].plot(figsize=(9, 3), alpha=0.8)
ax.set_ylabel("°C")
# expect: images 1

# %% A rolling window on a small series where the answer is obvious
pd.Series([1, 2, 3, 4, 5]).rolling(3).sum().tolist()
# expect: text \[nan, nan, 6\.0, 9\.0, 12\.0\]

# %% Shift and percentage change
prices = pd.Series([100.0, 110.0, 99.0, 99.0], index=pd.date_range("2024-03-01", periods=4, freq="B"))
pd.DataFrame({"price": prices, "prev": prices.shift(1), "change": prices.pct_change().round(3)})
# expect: text 2024-03-04\s+110\.0\s+100\.0\s+0\.1$
# expect: text 2024-03-05\s+99\.0\s+110\.0\s+-0\.1$

# %% Date parts via the .dt accessor
events = pd.Series(pd.to_datetime(["2024-02-29 13:45", "2024-12-25 08:00", "2025-01-01 00:30"]))
pd.DataFrame({"year": events.dt.year, "weekday": events.dt.day_name(), "quarter": events.dt.quarter})
# expect: text Thursday
# expect: text Wednesday

# %% Time zones
utc = pd.Timestamp("2024-06-01 12:00", tz="UTC")
print(utc.tz_convert("Europe/Paris").strftime("%H:%M %Z"), utc.tz_convert("America/New_York").hour)
# expect: text 14:00 CEST 8

# %% Grouping by month of year across both years
by_month = weather.groupby(weather.index.month)["temp"].mean()
by_month.plot.bar(color="steelblue", title="Average temperature by month")
# expect: images 1

# %% Which month is warmest? (the seasonal curve peaks in July)
print(by_month.idxmax() in (6, 7, 8), by_month.idxmin() in (12, 1, 2))
# expect: text True True

# %% Year over year as two lines on one axis
fig, ax = plt.subplots(figsize=(8, 3))
for year, grp in weather.groupby(weather.index.year):
    ax.plot(grp.index.dayofyear, grp["temp_30d"], label=str(year))
ax.legend()
ax.set_xlabel("day of year")
fig
# expect: images 1

# %% Rain: monthly totals with a bar chart and a cumulative line in one figure
fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
monthly["rain_mm"].plot.bar(ax=top)
monthly["rain_mm"].cumsum().plot(ax=bottom, marker="o", use_index=False)
top.set_title("Monthly rain")
plt.show()
# expect: images 1

# %% Missing days and forward fill
gappy = weather["temp"].iloc[:10].copy()
gappy.iloc[[2, 3, 7]] = np.nan
filled = gappy.ffill()
print(gappy.isna().sum(), filled.isna().sum(), filled.iloc[3] == gappy.iloc[1])
# expect: text 3 0 True

# %% Reindexing to a regular frequency creates the missing rows
sparse = pd.Series([1.0, 4.0], index=pd.to_datetime(["2024-01-01", "2024-01-04"]))
sparse.asfreq("D").interpolate().tolist()
# expect: text \[1\.0, 2\.0, 3\.0, 4\.0\]

# %% Exponentially weighted mean and a quick look at the last weeks
weather["temp_ewm"] = weather["temp"].ewm(span=14).mean()
weather.loc["2023-11-01":, ["temp", "temp_ewm"]].plot(figsize=(8, 3), style=["-", "--"])
# expect: images 1

# %% A heat map of monthly temperatures per year with plain matplotlib
table = weather["temp"].groupby([weather.index.year, weather.index.month]).mean().unstack()
plt.figure(figsize=(8, 2))
plt.imshow(table, aspect="auto", cmap="coolwarm")
plt.yticks([0, 1], table.index)
plt.colorbar(label="°C")
# expect: images 1

# %% Save the monthly table for later
monthly.to_csv("monthly_weather.csv")
print(pd.read_csv("monthly_weather.csv", index_col=0, parse_dates=True).index.dtype)
# expect: text datetime64

# %% Back to the default style
plt.style.use("default")
plt.rcParams["axes.facecolor"]
# expect: text white
# expect: images 0
