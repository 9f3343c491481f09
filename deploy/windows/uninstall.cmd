@echo off
rem Stops the sanji village station and removes its shortcuts. The program,
rem the config and every record stay in %ProgramData%\sanji.
"%~dp0sanji.exe" station uninstall %*
set result=%errorlevel%
if not defined SANJI_NO_PAUSE pause
exit /b %result%
