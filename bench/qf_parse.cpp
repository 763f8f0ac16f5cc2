/*
 * qf_parse.cpp -- QuickFIX C++ as the peer for fixdec's throughput figure.
 *
 * Reads a log file (QuickFIX file-log lines, raw SOH stream, anything that
 * holds SOH-delimited messages), cuts out each message from "8=FIX" to the
 * SOH after "10=", and turns it into a FIX::Message with a DataDictionary
 * loaded from the given QuickFIX XML file.  With the dictionary QuickFIX
 * parses repeating groups by their definitions, which is the work a real
 * engine does; the constructor's validate flag checks BodyLength and
 * CheckSum.  -V also runs DataDictionary::validate (required fields, types,
 * enums, fields defined for the message), which QuickFIX does in its session
 * layer.  -e also calls toString() on every message for an encode figure.
 *
 * If the dictionary cannot be loaded the reason is printed and the run
 * continues without one (dict=none in the output), so the figure is still
 * there but says what it measured.
 *
 * Output, key=value on stdout: messages, bad (messages QuickFIX rejected),
 * bytes (size of the file), dict, seconds (read + parse [+ validate]
 * [+ encode], dictionary load excluded).
 */
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include <unistd.h>

#include <quickfix/DataDictionary.h>
#include <quickfix/Exceptions.h>
#include <quickfix/Message.h>

static void
usage(std::FILE *f)
{
	std::fprintf(f, "usage: qf_parse [-V] [-e] [-d dict.xml] file\n");
}

int
main(int argc, char *argv[])
{
	const char *dictpath = "dicts/FIX44.xml";
	bool dovalidate = false, doencode = false;
	int ch;

	while ((ch = getopt(argc, argv, "Ved:h")) != -1) {
		switch (ch) {
		case 'V':
			dovalidate = true;
			break;
		case 'e':
			doencode = true;
			break;
		case 'd':
			dictpath = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	const char *path = argv[optind];

	std::unique_ptr<FIX::DataDictionary> dd;
	std::string dictdesc = "none";
	try {
		dd.reset(new FIX::DataDictionary(dictpath));
		dictdesc = dictpath;
	} catch (std::exception &e) {
		std::fprintf(stderr, "qf_parse: %s: QuickFIX refused the "
		    "dictionary: %s; continuing without one\n", dictpath,
		    e.what());
		std::printf("dict_error=%s\n", e.what());
	}
	if (dovalidate && !dd) {
		std::fprintf(stderr, "qf_parse: -V needs a dictionary\n");
		dovalidate = false;
	}

	auto t0 = std::chrono::steady_clock::now();

	std::ifstream in(path, std::ios::binary);
	if (!in) {
		std::fprintf(stderr, "qf_parse: %s: cannot open\n", path);
		return 5;
	}
	std::ostringstream ss;
	ss << in.rdbuf();
	const std::string data = ss.str();

	unsigned long long nmsg = 0, nbad = 0, outbytes = 0;
	std::string firsterr, msgstr, encoded;
	size_t pos = 0;
	for (;;) {
		size_t s = data.find("8=FIX", pos);
		if (s == std::string::npos)
			break;
		size_t c = data.find("\00110=", s);
		if (c == std::string::npos)
			break;
		size_t e = data.find('\001', c + 4);
		if (e == std::string::npos)
			break;
		msgstr.assign(data, s, e + 1 - s);
		pos = e + 1;
		nmsg++;
		try {
			if (dd) {
				FIX::Message m(msgstr, *dd, true);
				if (dovalidate)
					FIX::DataDictionary::validate(m,
					    dd.get(), dd.get());
				if (doencode)
					outbytes += m.toString(encoded).size();
			} else {
				FIX::Message m(msgstr, true);
				if (doencode)
					outbytes += m.toString(encoded).size();
			}
		} catch (std::exception &ex) {
			if (nbad++ == 0)
				firsterr = ex.what();
		}
	}

	double secs = std::chrono::duration<double>(
	    std::chrono::steady_clock::now() - t0).count();
	std::printf("messages=%llu\n", nmsg);
	std::printf("bad=%llu\n", nbad);
	if (nbad)
		std::printf("first_error=%s\n", firsterr.c_str());
	std::printf("bytes=%zu\n", data.size());
	std::printf("dict=%s\n", dictdesc.c_str());
	std::printf("validate=%d\n", dovalidate ? 1 : 0);
	std::printf("encode_bytes=%llu\n", outbytes);
	std::printf("seconds=%.6f\n", secs);
	return 0;
}
