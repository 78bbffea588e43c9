// No marks: reads numbers with std::cin >> and std::stod, prints with std::cout <<.
#include <cmath>
#include <iostream>
#include <string>

int main(int argc, char **argv) {
    double a = std::stod(argv[1]);
    double b, c;
    std::cin >> b >> c;
    std::cout.precision(10);
    std::cout << a * b + std::exp(c) << "\n" << std::sqrt(a * a + b * b) / c << std::endl;
    return 0;
}
