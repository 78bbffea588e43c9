// C++ with iostream: its static initialisation (std::ios_base::Init, locale) runs before
// main, ~1.7 M instructions under emulation; the start-up snapshot skips them.
#include <cmath>
#include <iostream>
#include <vector>
#include "revad.h"

static std::vector<double> weights = {0.5, 1.5, -2.0};  // a dynamic initialiser

int main(int argc, char **argv)
{
    double x = argc > 1 ? std::atof(argv[1]) : 0.3;
    REVAD_INPUT(x);
    double y = 0.0;
    for (double w : weights)
        y += w * std::sin(w * x);
    REVAD_OUTPUT(y);
    std::cout << "y = " << y << std::endl;
    return 0;
}
