// iostream, exceptions, virtual dispatch and standard containers.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

struct Shape {
    virtual ~Shape() = default;
    virtual double area() const = 0;
    virtual std::string name() const { return "shape"; }
};
struct Circle : Shape {
    double r;
    explicit Circle(double r) : r(r) {}
    double area() const override { return M_PI * r * r; }
    std::string name() const override { return "circle"; }
};
struct Rect : Shape {
    double w, h;
    Rect(double w, double h) : w(w), h(h) {}
    double area() const override { return w * h; }
};

struct MyError : std::runtime_error {
    int code;
    MyError(const std::string &m, int c) : std::runtime_error(m), code(c) {}
};

static int depth_thrower(int n)
{
    std::vector<int> guard(n + 1, n);  // destroyed during unwinding
    if (n == 0) throw MyError("bottom reached", 42);
    return depth_thrower(n - 1) + guard[0];
}

static double checked_sqrt(double x)
{
    if (x < 0) throw std::domain_error("negative: " + std::to_string(x));
    return std::sqrt(x);
}

int main()
{
    std::vector<std::unique_ptr<Shape>> shapes;
    for (int i = 1; i <= 5; i++) {
        if (i % 2) shapes.push_back(std::make_unique<Circle>(i * 0.5));
        else shapes.push_back(std::make_unique<Rect>(i, i + 0.25));
    }
    std::cout << std::setprecision(17);
    double total = 0;
    for (const auto &s : shapes) {
        std::cout << s->name() << " area " << s->area() << '\n';
        total += s->area();
    }
    std::cout << "total " << total << " fixed " << std::fixed << std::setprecision(6) << total
              << std::defaultfloat << '\n';

    try {
        depth_thrower(20);
    } catch (const MyError &e) {
        std::cout << "caught MyError: " << e.what() << " code " << e.code << '\n';
    }
    for (double x : {4.0, -2.0}) {
        try {
            std::cout << "sqrt " << checked_sqrt(x) << '\n';
        } catch (const std::exception &e) {
            std::cout << "caught: " << e.what() << '\n';
        }
    }
    try {
        std::vector<int> v(3);
        v.at(7) = 1;
    } catch (const std::out_of_range &) {
        std::cout << "caught out_of_range\n";
    }

    std::vector<double> v;
    unsigned x = 12345;
    for (int i = 0; i < 300; i++) {
        x = x * 1103515245u + 12345u;
        v.push_back((x >> 8) % 100000 / 7.0);
    }
    std::sort(v.begin(), v.end(), std::greater<double>());
    std::cout << std::setprecision(10) << "sorted desc: " << v.front() << ' ' << v[150] << ' '
              << v.back() << " is_sorted " << std::is_sorted(v.rbegin(), v.rend()) << '\n';

    std::map<std::string, int> counts;
    std::string text = "the quick brown fox jumps over the lazy dog the end fox";
    std::istringstream in(text);
    for (std::string w; in >> w;) counts[w]++;
    for (const auto &[w, c] : counts) std::cout << w << '=' << c << ' ';
    std::cout << '\n';

    std::string s = "Hello";
    s += ", world";
    s.insert(5, " there");
    std::reverse(s.begin(), s.end());
    std::ostringstream os;
    os << std::hex << 255 << ' ' << std::scientific << std::setprecision(3) << 12345.678;
    std::cout << s << " | " << s.size() << " | " << s.find("dlrow") << " | " << os.str() << '\n';
    std::cout << std::setw(10) << std::left << "left" << '|' << std::setw(8) << std::right << 42
              << '|' << std::endl;
    return 0;
}
