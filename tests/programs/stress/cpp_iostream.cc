// iostream and ostringstream output of active values, std::sort of (passive key, active value)
// pairs, reductions gcc vectorises at -O3.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <vector>
#include "revad.h"
int main(int argc, char **argv) {
    double x[3] = {0.5, 1.5, -0.25};
    for (int i = 0; i < 3 && i + 1 < argc; i++) x[i] = std::strtod(argv[i + 1], nullptr);
    REVAD_INPUT_ARRAY(x, 3);
    std::vector<double> v(64);
    for (int i = 0; i < 64; i++) v[i] = x[i % 3] * std::sin(0.1 * i) + x[(i + 1) % 3];
    std::vector<std::pair<double, double>> pr;
    for (int i = 0; i < 64; i++) pr.emplace_back(std::cos(1.7 * i), v[i]);
    std::sort(pr.begin(), pr.end());
    double s = 0, t = 0, m = -1e300;
    for (int i = 0; i < 64; i++) { s += pr[i].second * (i + 1); t += v[i] * v[i]; m = std::max(m, v[i]); }
    std::ostringstream os;
    os << std::setprecision(17) << s;   // text only, not parsed back
    double out[3] = {s, std::sqrt(t), m};
    REVAD_OUTPUT_ARRAY(out, 3);
    std::cout << std::setprecision(17) << out[0] << "\n" << out[1] << "\n" << out[2] << "\n";
    std::cerr << os.str() << "\n";
    return 0;
}
