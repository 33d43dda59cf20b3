# Time series with statsmodels: decomposition, autocorrelation, ARIMA and exponential smoothing.

# %%
%matplotlib inline
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import statsmodels.api as sm
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.stattools import adfuller, acf
from statsmodels.graphics.tsaplots import plot_acf, plot_pacf
from statsmodels.tsa.holtwinters import ExponentialSmoothing
plt.rcParams["figure.figsize"] = (8, 3)
# expect: images 0

# %% The Mauna Loa CO2 data that ships with statsmodels (weekly, with gaps)
co2 = sm.datasets.co2.load_pandas().data["co2"]
print(co2.index.min().year, co2.index.max().year, co2.isna().sum() > 0)
# expect: text 1958 2001 True

# %% Monthly means, gaps filled
co2_m = co2.resample("MS").mean().ffill()
print(co2_m.isna().sum(), co2_m.index.freqstr)
co2_m.plot(title="CO2 (ppm)")
# expect: text 0 MS
# expect: images 1

# %% Classical decomposition into trend, season and residual
decomp = seasonal_decompose(co2_m, model="additive", period=12)
decomp.plot()
# expect: images 1

# %% The seasonal component repeats every 12 months
seasonal = decomp.seasonal
print(np.allclose(seasonal.iloc[:12].to_numpy(), seasonal.iloc[12:24].to_numpy()), round(seasonal.iloc[:12].sum(), 6) == 0)
# expect: text True True
# expect: images 0

# %% Which month has the highest CO2 in the seasonal cycle?
int(seasonal.groupby(seasonal.index.month).mean().idxmax())
# expect: text Out\[\d+\]: 5

# %% A generated AR(1) series with a known coefficient
rng = np.random.default_rng(8)
n = 300
e = rng.normal(size=n)
ar = np.zeros(n)
for t in range(1, n):
    ar[t] = 0.7 * ar[t - 1] + e[t]
ar_series = pd.Series(ar, index=pd.date_range("2000-01-01", periods=n, freq="D"))
ar_series.plot(lw=0.8)
# expect: images 1

# %% Autocorrelation at lag 1 is close to 0.7
print(abs(acf(ar_series, nlags=1)[1] - 0.7) < 0.1)
# expect: text True

# %% ACF and PACF side by side
fig, axes = plt.subplots(1, 2, figsize=(10, 3))
plot_acf(ar_series, lags=20, ax=axes[0])
plot_pacf(ar_series, lags=20, ax=axes[1], method="ywm")
plt.show()
# expect: images 1

# %% The augmented Dickey-Fuller test: the AR(1) series is stationary, a random walk is not
walk = pd.Series(np.cumsum(rng.normal(size=n)))
p_ar = adfuller(ar_series)[1]
p_walk = adfuller(walk)[1]
print(p_ar < 0.01, p_walk > 0.05)
# expect: text True True

# %% Fit an ARIMA(1, 0, 0)
model = ARIMA(ar_series, order=(1, 0, 0)).fit()
print(abs(model.params["ar.L1"] - 0.7) < 0.1)
# expect: text True

# %% Its summary
model.summary()
# expect: text SARIMAX Results
# expect: text ar\.L1

# %% Forecast with an interval
fc = model.get_forecast(steps=30)
frame = fc.summary_frame(alpha=0.1)
ax = ar_series.iloc[-90:].plot(label="observed")
frame["mean"].plot(ax=ax, label="forecast")
ax.fill_between(frame.index, frame["mean_ci_lower"], frame["mean_ci_upper"], alpha=0.2)
ax.legend()
print(len(frame))
# expect: images 1
# expect: text ^30$

# %% Residual diagnostics (a 2 x 2 grid from statsmodels)
model.plot_diagnostics(figsize=(9, 6))
# expect: images 1

# %% A seasonal ARIMA on the monthly CO2 since 1990
recent = co2_m["1990":]
sarima = ARIMA(recent, order=(1, 1, 1), seasonal_order=(0, 1, 1, 12)).fit()
pred = sarima.get_forecast(24).predicted_mean
print(len(pred), pred.index[0].strftime("%Y-%m"), bool(pred.iloc[-1] > recent.iloc[-1]))
# expect: text 24 2002-01 True

# %% Observed and forecast together
ax = recent.plot(label="observed")
pred.plot(ax=ax, style="--", label="SARIMA forecast")
ax.legend()
# expect: images 1

# %% Holt-Winters exponential smoothing
hw = ExponentialSmoothing(recent, trend="add", seasonal="add", seasonal_periods=12).fit()
hw_fc = hw.forecast(24)
print(np.abs(hw_fc.to_numpy() - pred.to_numpy()).max() < 3)
# expect: text True

# %% The two forecasts compared in one chart, then a second chart of their difference
plt.plot(pred.index, pred, label="SARIMA")
plt.plot(hw_fc.index, hw_fc, label="Holt-Winters")
plt.legend()
plt.figure()
plt.bar(pred.index, pred - hw_fc, width=20)
plt.title("difference")
# expect: images 2

# %% US macro data: quarterly GDP growth
macro = sm.datasets.macrodata.load_pandas().data
macro.index = pd.period_range("1959Q1", periods=len(macro), freq="Q")
growth = np.log(macro["realgdp"]).diff().dropna() * 400
print(len(macro), str(macro.index[-1]))
growth.plot(title="annualised real GDP growth, %")
# expect: text 203 2009Q3
# expect: images 1

# %% A rolling mean and standard deviation
fig, ax = plt.subplots()
growth.rolling(12).mean().plot(ax=ax, label="12-quarter mean")
growth.rolling(12).std().plot(ax=ax, label="12-quarter std")
ax.legend()
fig
# expect: images 1
