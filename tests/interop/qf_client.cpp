/*
 * qf_client -- a QuickFIX C++ initiator for the interop tests.
 *
 *   qf_client SETTINGS N [TIMEOUT_S]
 *
 * Logs on with the one session SETTINGS describes, sends N NewOrderSingle
 * (ClOrdID 1..N, limit orders, as QuickFIX's example executor wants them),
 * waits until N of them are reported filled (ExecutionReport, OrdStatus
 * FILLED) or TIMEOUT_S (30) seconds pass, prints "sent N filled M", logs
 * out and exits 0 when M == N, 1 otherwise (2: usage, 5: set-up failed).
 * Messages and events go to a file log when the settings name FileLogPath.
 *
 * The session's BeginString comes from the settings, so the same client
 * speaks FIX.4.2 or FIX.4.4; orders are built field by field rather than
 * with the per-version classes for that reason.
 */
#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/Message.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/Values.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace {

class Client : public FIX::Application {
public:
	std::mutex		mu;
	std::condition_variable	cv;
	bool			loggedOn = false;
	bool			loggedOut = false;
	std::set<std::string>	filled;
	FIX::SessionID		sid;

	void onCreate(const FIX::SessionID &) override {}
	void onLogon(const FIX::SessionID &s) override
	{
		std::lock_guard<std::mutex> l(mu);
		sid = s;
		loggedOn = true;
		cv.notify_all();
	}
	void onLogout(const FIX::SessionID &) override
	{
		std::lock_guard<std::mutex> l(mu);
		loggedOut = true;
		cv.notify_all();
	}
	void toAdmin(FIX::Message &, const FIX::SessionID &) override {}
	void toApp(FIX::Message &, const FIX::SessionID &)
	    throw(FIX::DoNotSend) override {}
	void fromAdmin(const FIX::Message &, const FIX::SessionID &)
	    throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
	    FIX::IncorrectTagValue, FIX::RejectLogon) override {}
	void fromApp(const FIX::Message &m, const FIX::SessionID &)
	    throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
	    FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override
	{
		const FIX::Header &h = m.getHeader();
		if (!h.isSetField(FIX::FIELD::MsgType) ||
		    h.getField(FIX::FIELD::MsgType) != "8")
			return;
		if (!m.isSetField(FIX::FIELD::OrdStatus) ||
		    !m.isSetField(FIX::FIELD::ClOrdID))
			return;
		if (m.getField(FIX::FIELD::OrdStatus) !=
		    std::string(1, FIX::OrdStatus_FILLED))
			return;
		std::lock_guard<std::mutex> l(mu);
		filled.insert(m.getField(FIX::FIELD::ClOrdID));
		cv.notify_all();
	}
};

FIX::Message
order(const FIX::SessionID &sid, unsigned long i)
{
	FIX::Message m;
	FIX::Header &h = m.getHeader();
	h.setField(FIX::BeginString(sid.getBeginString()));
	h.setField(FIX::MsgType(FIX::MsgType_NewOrderSingle));
	m.setField(FIX::ClOrdID(std::to_string(i)));
	m.setField(FIX::HandlInst('1'));
	m.setField(FIX::Symbol(i % 2 ? "MSFT" : "IBM"));
	m.setField(FIX::Side(i % 3 ? FIX::Side_BUY : FIX::Side_SELL));
	m.setField(FIX::TransactTime());
	m.setField(FIX::OrderQty(100 + i % 10 * 100));
	m.setField(FIX::OrdType(FIX::OrdType_LIMIT));
	m.setField(FIX::Price(10 + (i % 100) / 4.0));
	m.setField(FIX::TimeInForce(FIX::TimeInForce_DAY));
	m.setField(FIX::Account("ACCT" + std::to_string(i % 7)));
	return m;
}

} // namespace

int
main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		std::cerr << "usage: qf_client SETTINGS N [TIMEOUT_S]\n";
		return 2;
	}
	char *end;
	unsigned long n = std::strtoul(argv[2], &end, 10);
	if (*end != '\0' || *argv[2] == '\0') {
		std::cerr << "qf_client: bad count: " << argv[2] << "\n";
		return 2;
	}
	int timeout = argc == 4 ? std::atoi(argv[3]) : 30;
	if (timeout <= 0)
		timeout = 30;

	Client app;
	unsigned long sent = 0;
	size_t filled = 0;
	try {
		FIX::SessionSettings settings(argv[1]);
		FIX::FileStoreFactory store(settings);
		FIX::FileLogFactory logs(settings);
		FIX::SocketInitiator ini(app, store, settings, logs);
		ini.start();

		auto deadline = std::chrono::steady_clock::now() +
		    std::chrono::seconds(timeout);
		{
			std::unique_lock<std::mutex> l(app.mu);
			app.cv.wait_until(l, deadline,
			    [&] { return app.loggedOn; });
			if (!app.loggedOn) {
				l.unlock();
				std::cerr << "qf_client: no logon\n";
				ini.stop(true);
				std::cout << "sent 0 filled 0" << std::endl;
				return 1;
			}
		}
		for (unsigned long i = 1; i <= n; i++) {
			FIX::Message m = order(app.sid, i);
			if (FIX::Session::sendToTarget(m, app.sid))
				sent++;
		}
		{
			std::unique_lock<std::mutex> l(app.mu);
			app.cv.wait_until(l, deadline,
			    [&] { return app.filled.size() >= n; });
			filled = app.filled.size();
		}
		/* A graceful stop sends Logout and waits for the answer. */
		ini.stop();
	} catch (std::exception &e) {
		std::cerr << "qf_client: " << e.what() << "\n";
		return 5;
	}
	std::cout << "sent " << sent << " filled " << filled << std::endl;
	return filled == n && sent == n ? 0 : 1;
}
