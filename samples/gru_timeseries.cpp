// A GRU time-series forecaster in the shape of keras-io's "Timeseries forecasting for weather prediction"
// (120 past hourly steps of 7 weather features in, the next temperature out), with a GRU where keras-io
// has an LSTM: its summary, Keras's parameter count, and a forecast for two windows of a synthetic daily
// cycle (untrained weights: the numbers only show the pipeline).
#include <cmath>
#include <iostream>

#include <strata/strata.hpp>

int main() {
  namespace L = strata::layers;
  auto inputs = strata::Input({120, 7}, {.name = "weather"});
  auto h = L::GRU(32)(inputs);
  auto outputs = L::Dense(1)(h);
  const strata::Model model(inputs, outputs);
  const std::string summary = model.summary_string();
  std::cout << summary;
  // Two windows of 120 hours: each feature a daily sine with its own phase.
  std::vector<float> values;
  for (int window = 0; window < 2; ++window)
    for (int t = 0; t < 120; ++t)
      for (int f = 0; f < 7; ++f)
        values.push_back(static_cast<float>(std::sin(2.0 * M_PI * (t + 6 * window) / 24.0 + f)));
  const strata::Tensor forecast = model.predict(strata::Tensor({2, 120, 7}, values));
  std::cout << "next-hour forecasts: " << forecast.data()[0] << ", " << forecast.data()[1] << "\n";
  // Keras's rules: 3 x (32 x (7 + 32) + 2 x 32) for the GRU (reset_after: two biases), 33 for the Dense.
  const bool finite = std::isfinite(forecast.data()[0]) && std::isfinite(forecast.data()[1]);
  return summary.find("Total params: 3,969") != std::string::npos && finite ? 0 : 1;
}
