// SPDX-License-Identifier: MIT
// The echo benchmark's Boost.Asio baseline (bench/echo/compare.sh): the
// same server as examples/echo_server.cpp, on one single-threaded
// io_context with asynchronous reads and writes per connection.
//
//   $ echo_asio PORT
#include <array>
#include <boost/asio.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace {

using boost::asio::ip::tcp;

class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(tcp::socket s) : socket_(std::move(s)) {}
  void start() { read(); }

 private:
  void read() {
    auto self = shared_from_this();
    socket_.async_read_some(
        boost::asio::buffer(buf_),
        [this, self](boost::system::error_code ec, std::size_t n) {
          if (!ec) write(n);
        });
  }
  void write(std::size_t n) {
    auto self = shared_from_this();
    boost::asio::async_write(
        socket_, boost::asio::buffer(buf_, n),
        [this, self](boost::system::error_code ec, std::size_t) {
          if (!ec) read();
        });
  }
  tcp::socket socket_;
  std::array<char, 4096> buf_;
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept(
      [&acceptor](boost::system::error_code ec, tcp::socket s) {
        if (!ec) {
          s.set_option(tcp::no_delay(true));
          std::make_shared<session>(std::move(s))->start();
        }
        accept(acceptor);
      });
}

}  // namespace

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 7008;
  boost::asio::io_context io(1);
  tcp::acceptor acceptor(
      io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                        static_cast<unsigned short>(port)));
  accept(acceptor);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](auto, auto) { io.stop(); });
  io.run();
  return 0;
}
