import ArgumentParser
import ServiceLifecycle
import AsyncHTTPClient
import NIOPosix
print("x")
