@echo off
rem Installs the sanji village station from this folder. Everything it says
rem comes from sanji.exe, in Chinese: this file stays ASCII because cmd reads
rem it in the console's code page. Extra arguments go to
rem "sanji station install" (for example --no-browser).
"%~dp0sanji.exe" station install %*
set result=%errorlevel%
if not defined SANJI_NO_PAUSE pause
exit /b %result%
